//! A runner for WebAssembly spec-test scripts (`.wast`) over the engine-core API, so any engine
//! can be held to the specification's own test format.
//!
//! Error messages are not compared with the reference text: an invalid module must simply be
//! rejected, and a trap must carry the trap code the expected message names.

mod spectest;
mod values;

use std::collections::HashMap;
use std::fmt;
use wasmux_core::{
    Capability, Config, DynEngine, DynInstance, DynModule, Error, Exports, Extern, HostEnv,
    Imports, TrapCode, Val,
};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// The suite's own scripts, by file name.
pub const SCRIPTS: &[(&str, &str)] = &[
    ("i32.wast", include_str!("../../wast/i32.wast")),
    ("i64.wast", include_str!("../../wast/i64.wast")),
    ("float.wast", include_str!("../../wast/float.wast")),
    ("conversions.wast", include_str!("../../wast/conversions.wast")),
    ("memory.wast", include_str!("../../wast/memory.wast")),
    ("tables.wast", include_str!("../../wast/tables.wast")),
    ("control.wast", include_str!("../../wast/control.wast")),
    ("calls.wast", include_str!("../../wast/calls.wast")),
    ("globals.wast", include_str!("../../wast/globals.wast")),
    ("imports_exports.wast", include_str!("../../wast/imports_exports.wast")),
    ("multi_value.wast", include_str!("../../wast/multi_value.wast")),
    ("simd.wast", include_str!("../../wast/simd.wast")),
    ("tail_calls.wast", include_str!("../../wast/tail_calls.wast")),
];

/// The configuration a script runs with: `base` with every capability its `;; requires:` line
/// names turned on. An engine refusing that configuration cannot run the script.
pub fn config_for(base: &Config, source: &str) -> Result<Config, String> {
    let mut config = base.clone();
    for cap in required_capabilities(source)? {
        crate::case::enable(&mut config, cap);
    }
    Ok(config)
}

/// What happened to one directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// It behaved as the script says.
    Passed,
    /// It did not; the text says how.
    Failed(String),
    /// The engine, or wasmux, cannot do what it needs; the text names what (a proposal the
    /// engine lacks, a kind of import or value wasmux does not link or represent).
    Unsupported(String),
}

/// One directive's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveOutcome {
    /// The directive's line in the script (1-based).
    pub line: usize,
    /// The directive's kind, e.g. `assert_return`.
    pub kind: &'static str,
    /// What happened.
    pub status: Status,
}

/// The outcome of one script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WastReport {
    /// The script's name.
    pub name: String,
    /// Every directive, in order.
    pub outcomes: Vec<DirectiveOutcome>,
}

impl WastReport {
    fn count(&self, pick: fn(&Status) -> bool) -> usize {
        self.outcomes.iter().filter(|o| pick(&o.status)).count()
    }

    /// Directives that passed.
    pub fn passed(&self) -> usize {
        self.count(|s| matches!(s, Status::Passed))
    }

    /// Directives that failed.
    pub fn failed(&self) -> usize {
        self.count(|s| matches!(s, Status::Failed(_)))
    }

    /// Directives that could not run for want of a capability.
    pub fn unsupported(&self) -> usize {
        self.count(|s| matches!(s, Status::Unsupported(_)))
    }

    /// The failed directives.
    pub fn failures(&self) -> impl Iterator<Item = &DirectiveOutcome> {
        self.outcomes.iter().filter(|o| matches!(o.status, Status::Failed(_)))
    }
}

impl fmt::Display for WastReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} passed, {} failed, {} unsupported",
            self.name,
            self.passed(),
            self.failed(),
            self.unsupported()
        )?;
        for outcome in &self.outcomes {
            match &outcome.status {
                Status::Passed => {}
                Status::Failed(why) => {
                    writeln!(f, "  line {}: {} FAILED: {why}", outcome.line, outcome.kind)?
                }
                Status::Unsupported(why) => {
                    writeln!(f, "  line {}: {} unsupported: {why}", outcome.line, outcome.kind)?
                }
            }
        }
        Ok(())
    }
}

/// Runs the script `source` (named `name` in the report) on `engine`. A script that does not
/// parse is an `Err`.
///
/// A script may declare the capabilities it needs on a line `;; requires: simd, threads`; on an
/// engine lacking one, every directive is skipped, naming it.
pub fn run_wast(engine: &dyn DynEngine, name: &str, source: &str) -> Result<WastReport, String> {
    // The wast format allows any name, including the bidirectional and invisible characters
    // `names.wast` tests, which the text parser refuses by default as likely confusing.
    let mut lexer = Lexer::new(source);
    lexer.allow_confusing_unicode(true);
    let buffer = ParseBuffer::new_with_lexer(lexer).map_err(|e| one_line(e, name, source))?;
    let script: Wast<'_> = parser::parse(&buffer).map_err(|e| one_line(e, name, source))?;
    let missing = required_capabilities(source)?
        .into_iter()
        .find(|cap| !engine.info().capabilities.has(*cap));
    // Every module of a script lives in one store, as in the reference interpreter: modules
    // link to registered instances' memories, tables and globals, and see each other's writes.
    let mut store = engine.store(HostEnv::new()).map_err(|e| format!("{name}: {e}"))?;
    let threads = engine.info().capabilities.has(Capability::Threads);
    let spectest = spectest::define(store.as_mut(), threads)
        .map_err(|e| format!("{name}: making the spectest module: {e}"))?;
    let mut runner = Runner {
        engine,
        store,
        spectest,
        current: None,
        named: HashMap::new(),
        definitions: HashMap::new(),
        last_definition: None,
        registered: HashMap::new(),
        registered_refused: HashMap::new(),
    };
    // Once a directive could not run, the script's later state may depend on what it would have
    // done (a table a refused module would have filled, a global a call would have set): a
    // later failure is then reported as unsupported, saying so, rather than blamed on the engine.
    let mut first_unsupported_line = None;
    let outcomes = script
        .directives
        .into_iter()
        .map(|directive| {
            let line = directive.span().linecol_in(source).0 + 1;
            let kind = kind(&directive);
            let status = match missing {
                Some(cap) => Status::Unsupported(format!("needs capability {cap}")),
                None => runner.run(directive),
            };
            let status = match (status, first_unsupported_line) {
                (Status::Failed(why), Some(first)) => Status::Unsupported(format!(
                    "{why} (after line {first} could not run, the script's state may differ)"
                )),
                (status, _) => status,
            };
            if matches!(status, Status::Unsupported(_)) {
                first_unsupported_line.get_or_insert(line);
            }
            DirectiveOutcome { line, kind, status }
        })
        .collect();
    Ok(WastReport { name: name.to_string(), outcomes })
}

fn one_line(mut error: wast::Error, name: &str, source: &str) -> String {
    error.set_text(source);
    let (line, col) = error.span().linecol_in(source);
    format!("{name}:{}:{}: {}", line + 1, col + 1, error.message())
}

fn required_capabilities(source: &str) -> Result<Vec<Capability>, String> {
    let Some(list) = source.lines().find_map(|l| l.trim().strip_prefix(";; requires:")) else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            Capability::ALL
                .into_iter()
                .find(|c| c.as_str() == name)
                .ok_or_else(|| format!("unknown capability `{name}` in `;; requires:`"))
        })
        .collect()
}

fn kind(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        _ => "directive",
    }
}

/// A module directive's outcome, which later directives address.
#[derive(Clone)]
enum Slot {
    Ready(Exports),
    /// Refused as unsupported: what uses it is unsupported too, not failed.
    Refused(String),
    /// Failed: what uses it fails too, saying why.
    Broken(String),
}

/// What an execution produced.
enum Executed {
    Values(Vec<Val>),
    Failed(Error),
    Unsupported(String),
}

impl Executed {
    /// An error the engine reports as unsupported stays unsupported.
    fn from_error(error: Error) -> Self {
        match error {
            Error::Unsupported { .. } => Executed::Unsupported(error.to_string()),
            other => Executed::Failed(other),
        }
    }
}

struct Runner<'e> {
    engine: &'e dyn DynEngine,
    store: Box<dyn DynInstance>,
    spectest: Imports,
    current: Option<Slot>,
    named: HashMap<String, Slot>,
    definitions: HashMap<String, Result<DynModule, Slot>>,
    last_definition: Option<Result<DynModule, Slot>>,
    registered: HashMap<String, Exports>,
    /// Names registered for modules that were refused as unsupported, with why.
    registered_refused: HashMap<String, String>,
}

impl Runner<'_> {
    fn run(&mut self, directive: WastDirective<'_>) -> Status {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let slot = match self.compile_quote(&mut module) {
                    Ok(compiled) => self.instantiate_slot(&compiled),
                    Err(refused) => refused,
                };
                if let Some(name) = name {
                    self.named.insert(name, slot.clone());
                }
                self.current = Some(slot.clone());
                slot.status()
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let compiled = self.compile_quote(&mut module);
                let status = match &compiled {
                    Ok(_) => Status::Passed,
                    Err(slot) => slot.status(),
                };
                if let Some(name) = name {
                    self.definitions.insert(name, compiled.clone());
                }
                self.last_definition = Some(compiled);
                status
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let definition = match module {
                    Some(id) => self.definitions.get(id.name()).cloned(),
                    None => self.last_definition.clone(),
                };
                let slot = match definition {
                    None => Slot::Broken("no such module definition".into()),
                    Some(Ok(definition)) => self.instantiate_slot(&definition),
                    Some(Err(slot)) => slot,
                };
                if let Some(id) = instance {
                    self.named.insert(id.name().to_string(), slot.clone());
                }
                self.current = Some(slot.clone());
                slot.status()
            }
            WastDirective::Register { name, module, .. } => {
                match self.target(module.map(|id| id.name())) {
                    Ok(instance) => {
                        self.registered.insert(name.to_string(), instance);
                        Status::Passed
                    }
                    Err(Executed::Unsupported(why)) => {
                        self.registered_refused.insert(name.to_string(), why.clone());
                        Status::Unsupported(why)
                    }
                    Err(executed) => executed.status(),
                }
            }
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Executed::Values(_) => Status::Passed,
                other => other.status(),
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => self.assert_trap(exec, message),
            WastDirective::AssertExhaustion { call, .. } => match self.invoke(&call) {
                Executed::Failed(Error::Trap(trap)) if trap.code == TrapCode::StackOverflow => {
                    Status::Passed
                }
                Executed::Unsupported(why) => Status::Unsupported(why),
                other => {
                    Status::Failed(format!("expected stack exhaustion, got {}", describe(&other)))
                }
            },
            WastDirective::AssertException { exec, .. } => {
                if !self.engine.info().capabilities.has(Capability::Exceptions) {
                    return Status::Unsupported("needs capability exceptions".into());
                }
                match self.execute(exec) {
                    Executed::Failed(Error::Trap(trap))
                        if trap.code == TrapCode::UncaughtException =>
                    {
                        Status::Passed
                    }
                    Executed::Unsupported(why) => Status::Unsupported(why),
                    other => Status::Failed(format!(
                        "expected an uncaught exception, got {}",
                        describe(&other)
                    )),
                }
            }
            WastDirective::AssertInvalid { mut module, .. } => match module.encode() {
                Err(_) => Status::Passed,
                Ok(wasm) => expect_rejected(self.engine.compile(&wasm), "invalid"),
            },
            WastDirective::AssertMalformed { mut module, .. } => match module.encode() {
                Err(_) => Status::Passed,
                Ok(wasm) => expect_rejected(self.engine.compile(&wasm), "malformed"),
            },
            WastDirective::AssertUnlinkable { mut module, .. } => {
                let compiled = match self.compile_wat(&mut module) {
                    Ok(compiled) => compiled,
                    Err(slot) => return slot.status(),
                };
                match self.instantiate(&compiled) {
                    Err(
                        Error::Link(_) | Error::Instantiate { .. } | Error::ResourceLimit { .. },
                    ) => Status::Passed,
                    Err(error @ Error::Unsupported { .. }) => {
                        Status::Unsupported(error.to_string())
                    }
                    Err(other) => Status::Failed(format!("expected a link error, got: {other}")),
                    Ok(_) => Status::Failed("an unlinkable module was instantiated".into()),
                }
            }
            other => {
                Status::Unsupported(format!("`{}` directives are not supported", kind(&other)))
            }
        }
    }

    fn compile_quote(&self, module: &mut QuoteWat<'_>) -> Result<DynModule, Slot> {
        let wasm = module.encode().map_err(|e| Slot::Broken(e.message()))?;
        self.engine.compile(&wasm).map_err(Slot::from_error)
    }

    fn compile_wat(&self, module: &mut Wat<'_>) -> Result<DynModule, Slot> {
        let wasm = module.encode().map_err(|e| Slot::Broken(e.message()))?;
        self.engine.compile(&wasm).map_err(Slot::from_error)
    }

    fn instantiate_slot(&mut self, module: &DynModule) -> Slot {
        match self.instantiate(module) {
            Ok(exports) => Slot::Ready(exports),
            Err(error) => Slot::from_error(error),
        }
    }

    /// Instantiates into the script's store, with `spectest` and every registered instance's
    /// exports as imports.
    fn instantiate(&mut self, module: &DynModule) -> Result<Exports, Error> {
        let info = self.engine.module_info(module)?;
        let mut imports = self.spectest.clone();
        for import in &info.imports {
            if let Some(why) = self.registered_refused.get(&import.module) {
                return Err(Error::unsupported(
                    "wasmux",
                    format!("importing from `{}`, whose module was refused: {why}", import.module),
                ));
            }
            if let Some(exports) = self.registered.get(&import.module) {
                imports.instance(&import.module, exports);
            }
        }
        self.engine.instantiate_in(self.store.as_mut(), module, &imports)
    }

    /// The instance a directive addresses; what happened to its module otherwise.
    fn target(&self, name: Option<&str>) -> Result<Exports, Executed> {
        let slot = match name {
            Some(name) => {
                self.named.get(name).cloned().ok_or_else(|| format!("no module named ${name}"))
            }
            None => self.current.clone().ok_or_else(|| "no module instantiated yet".to_string()),
        };
        match slot {
            Ok(Slot::Ready(instance)) => Ok(instance),
            Ok(Slot::Refused(why)) => Err(Executed::Unsupported(format!("its module: {why}"))),
            Ok(Slot::Broken(why)) => {
                Err(Executed::Failed(Error::InvalidArgument(format!("its module failed: {why}"))))
            }
            Err(why) => Err(Executed::Failed(Error::InvalidArgument(why))),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Executed {
        let target = match self.target(invoke.module.map(|id| id.name())) {
            Ok(target) => target,
            Err(executed) => return executed,
        };
        let args: Result<Vec<Val>, String> = invoke.args.iter().map(values::arg).collect();
        let args = match args {
            Ok(args) => args,
            Err(why) => return Executed::Unsupported(format!("wasmux cannot pass {why}")),
        };
        let func = match export(&target, invoke.name) {
            Ok(func) => func,
            Err(executed) => return executed,
        };
        match self.store.call_extern(func, &args) {
            Ok(values) => Executed::Values(values),
            Err(error) => Executed::from_error(error),
        }
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Executed {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(mut module) => match self.compile_wat(&mut module) {
                Ok(compiled) => match self.instantiate(&compiled) {
                    Ok(_) => Executed::Values(Vec::new()),
                    Err(error) => Executed::from_error(error),
                },
                Err(slot) => slot.into_executed(),
            },
            WastExecute::Get { module, global, .. } => {
                let target = match self.target(module.map(|id| id.name())) {
                    Ok(target) => target,
                    Err(executed) => return executed,
                };
                let global = match export(&target, global) {
                    Ok(global) => global,
                    Err(executed) => return executed,
                };
                match self.store.global_get(global) {
                    Ok(value) => Executed::Values(vec![value]),
                    Err(error) => Executed::from_error(error),
                }
            }
        }
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, expected: &[WastRet<'_>]) -> Status {
        match self.execute(exec) {
            Executed::Values(actual) => {
                if actual.len() != expected.len() {
                    return Status::Failed(format!(
                        "expected {} results, got {actual:?}",
                        expected.len()
                    ));
                }
                match expected.iter().zip(&actual).try_for_each(|(e, a)| values::matches(e, a)) {
                    Ok(()) => Status::Passed,
                    Err(values::Mismatch::Unrepresentable(why)) => {
                        Status::Unsupported(format!("wasmux cannot compare {why}"))
                    }
                    Err(values::Mismatch::Different(why)) => Status::Failed(why),
                }
            }
            Executed::Unsupported(why) => Status::Unsupported(why),
            failed => Status::Failed(format!("expected values, got {}", describe(&failed))),
        }
    }

    fn assert_trap(&mut self, exec: WastExecute<'_>, message: &str) -> Status {
        match self.execute(exec) {
            Executed::Failed(Error::Trap(trap)) => match expected_trap(message) {
                Some(code) if trap.code == code => Status::Passed,
                // A trap raised in a registered module reaches its importer as a host error.
                Some(code)
                    if trap.code == TrapCode::HostError && trap.message.contains(code.as_str()) =>
                {
                    Status::Passed
                }
                Some(code) => {
                    Status::Failed(format!("expected a `{code}` trap, got `{}`", trap.code))
                }
                None => Status::Passed,
            },
            Executed::Unsupported(why) => Status::Unsupported(why),
            other => {
                Status::Failed(format!("expected a trap ({message}), got {}", describe(&other)))
            }
        }
    }
}

/// The export `name` of an instance.
fn export(exports: &Exports, name: &str) -> Result<Extern, Executed> {
    exports.get(name).ok_or_else(|| {
        Executed::Failed(Error::Export { name: name.to_string(), message: "no such export".into() })
    })
}

/// How `explain_invalid` says a module needs a proposal the configuration switched off.
const SWITCHED_OFF: &str = "switched off in its configuration";

fn expect_rejected(result: Result<DynModule, Error>, what: &str) -> Status {
    match result {
        Err(Error::Compile { .. } | Error::Parse { .. }) => Status::Passed,
        // Refused for a proposal the script's configuration switched off (a Wasm 2.0 script's
        // second memory): invalid in that version, as the script says.
        Err(Error::Unsupported { feature, .. }) if feature.contains(SWITCHED_OFF) => Status::Passed,
        Err(error @ Error::Unsupported { .. }) => Status::Unsupported(error.to_string()),
        Err(other) => Status::Failed(format!(
            "expected the {what} module to be rejected as invalid, got: {other}"
        )),
        Ok(_) => Status::Failed(format!("an {what} module was accepted")),
    }
}

/// The trap code a spec-test message names, where it names one precisely.
fn expected_trap(message: &str) -> Option<TrapCode> {
    const CODES: &[(&str, TrapCode)] = &[
        ("unreachable", TrapCode::Unreachable),
        ("out of bounds memory access", TrapCode::MemoryOutOfBounds),
        ("out of bounds table access", TrapCode::TableOutOfBounds),
        ("undefined element", TrapCode::TableOutOfBounds),
        ("uninitialized element", TrapCode::IndirectCallToNull),
        ("indirect call type mismatch", TrapCode::BadSignature),
        ("integer overflow", TrapCode::IntegerOverflow),
        ("integer divide by zero", TrapCode::IntegerDivisionByZero),
        ("invalid conversion to integer", TrapCode::BadConversionToInteger),
        ("null", TrapCode::NullReference),
        ("cast failure", TrapCode::CastFailure),
        ("out of bounds array access", TrapCode::ArrayOutOfBounds),
        ("expected shared memory", TrapCode::ExpectedSharedMemory),
        ("unaligned atomic", TrapCode::UnalignedAtomic),
    ];
    CODES.iter().find(|(text, _)| message.starts_with(text)).map(|(_, code)| *code)
}

fn describe(executed: &Executed) -> String {
    match executed {
        Executed::Values(values) => format!("values {values:?}"),
        Executed::Failed(error) => format!("error: {error}"),
        Executed::Unsupported(why) => format!("unsupported: {why}"),
    }
}

impl Executed {
    /// The status of a directive that needed values and got this instead.
    fn status(self) -> Status {
        match self {
            Executed::Values(_) => Status::Passed,
            Executed::Failed(error) => Status::Failed(error.to_string()),
            Executed::Unsupported(why) => Status::Unsupported(why),
        }
    }
}

impl Slot {
    fn from_error(error: Error) -> Self {
        match error {
            Error::Unsupported { .. } => Slot::Refused(error.to_string()),
            other => Slot::Broken(other.to_string()),
        }
    }

    /// What executing a module that ended in this slot produced.
    fn into_executed(self) -> Executed {
        match self {
            Slot::Ready(_) => Executed::Values(Vec::new()),
            Slot::Refused(why) => Executed::Unsupported(why),
            Slot::Broken(why) => Executed::Failed(Error::Compile { engine: "wast", message: why }),
        }
    }

    fn status(&self) -> Status {
        match self {
            Slot::Ready(_) => Status::Passed,
            Slot::Refused(why) => Status::Unsupported(why.clone()),
            Slot::Broken(why) => Status::Failed(why.clone()),
        }
    }
}
