//! What every command that builds an engine accepts: WebAssembly proposals in wasmtime's
//! spelling (`-W exceptions=y,gc=n`, `-W all-proposals=y`) and wasmer's compiler.

use clap::Args;
use wasmux::{Capability, Compiler, Config, Features};

/// Engine options shared by `run`, `compile`, `wast` and `inspect`.
#[derive(Clone, Debug, Default, Args)]
pub struct EngineOptions {
    /// WebAssembly proposals to switch on or off, as wasmtime spells them: NAME=y|n, several
    /// separated by commas, e.g. `-W exceptions=y,gc=n`; `all-proposals=y` switches every
    /// one on. By default an engine runs every WebAssembly 3.0 proposal it implements. Names:
    /// all-proposals, bulk-memory, exceptions, extended-const, function-references, gc,
    /// memory64, multi-memory, multi-value, reference-types, relaxed-simd, simd, tail-call,
    /// threads. Repeatable.
    #[arg(short = 'W', value_name = "NAME=y|n,...", value_parser = parse_proposals)]
    proposals: Vec<Vec<ProposalSwitch>>,
    /// wasmer's code generator: cranelift, singlepass or llvm (where built).
    #[arg(long, value_name = "COMPILER", value_parser = parse_compiler)]
    compiler: Option<Compiler>,
}

/// One `-W` item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalSwitch {
    /// `all-proposals=y|n`.
    All(bool),
    /// One proposal.
    One(Capability, bool),
}

impl EngineOptions {
    /// `config` with these options applied, in the order given.
    pub fn apply(&self, config: &mut Config) {
        for switch in self.proposals.iter().flatten() {
            match *switch {
                ProposalSwitch::All(true) => config.features = Features::all(),
                ProposalSwitch::All(false) => config.features = Features::none(),
                ProposalSwitch::One(cap, on) => {
                    config.features.set(cap, on);
                }
            }
        }
        if let Some(compiler) = self.compiler {
            config.compiler = compiler;
        }
    }

    /// The default configuration with these options applied.
    pub fn config(&self) -> Config {
        let mut config = Config::default();
        self.apply(&mut config);
        config
    }
}

/// wasmtime's name for a proposal where it differs from wasmux's.
fn wasmtime_name(cap: Capability) -> &'static str {
    match cap {
        Capability::TailCalls => "tail-call",
        other => other.as_str(),
    }
}

fn valid_names() -> String {
    let mut names: Vec<&str> = Features::PROPOSALS.into_iter().map(wasmtime_name).collect();
    names.push("all-proposals");
    names.sort_unstable();
    names.join(", ")
}

fn parse_proposals(text: &str) -> Result<Vec<ProposalSwitch>, String> {
    text.split(',').map(str::trim).filter(|item| !item.is_empty()).map(parse_switch).collect()
}

fn parse_switch(item: &str) -> Result<ProposalSwitch, String> {
    let (name, value) = item.split_once('=').unwrap_or((item, "y"));
    let on = match value {
        "y" | "yes" | "true" => true,
        "n" | "no" | "false" => false,
        other => return Err(format!("`{name}={other}`: the value must be y or n")),
    };
    if name == "all-proposals" {
        return Ok(ProposalSwitch::All(on));
    }
    Features::PROPOSALS
        .into_iter()
        .find(|cap| wasmtime_name(*cap) == name || cap.as_str() == name)
        .map(|cap| ProposalSwitch::One(cap, on))
        .ok_or_else(|| format!("unknown proposal `{name}` (valid names: {})", valid_names()))
}

fn parse_compiler(text: &str) -> Result<Compiler, String> {
    match text {
        "cranelift" => Ok(Compiler::Cranelift),
        "singlepass" => Ok(Compiler::Singlepass),
        "llvm" => Ok(Compiler::Llvm),
        other => Err(format!("unknown compiler `{other}` (valid: cranelift, singlepass, llvm)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasmtime_spellings_switch_proposals() {
        assert_eq!(
            parse_proposals("exceptions=y,gc=n,tail-call,memory64=no"),
            Ok(vec![
                ProposalSwitch::One(Capability::Exceptions, true),
                ProposalSwitch::One(Capability::Gc, false),
                ProposalSwitch::One(Capability::TailCalls, true),
                ProposalSwitch::One(Capability::Memory64, false),
            ])
        );
        assert_eq!(parse_proposals("all-proposals=y"), Ok(vec![ProposalSwitch::All(true)]));
    }

    #[test]
    fn bad_names_and_values_list_what_is_valid() {
        let error = parse_proposals("exceptionz=y").expect_err("unknown name");
        assert!(error.contains("unknown proposal `exceptionz`"), "{error}");
        assert!(error.contains("all-proposals") && error.contains("tail-call"), "{error}");
        let error = parse_proposals("gc=maybe").expect_err("bad value");
        assert_eq!(error, "`gc=maybe`: the value must be y or n");
        assert!(parse_compiler("winch").is_err());
    }

    #[test]
    fn later_switches_override_earlier_ones() {
        let options = EngineOptions {
            proposals: vec![
                vec![ProposalSwitch::All(true)],
                vec![ProposalSwitch::One(Capability::Gc, false)],
            ],
            compiler: Some(Compiler::Singlepass),
        };
        let config = options.config();
        assert_eq!(config.features.choice(Capability::Gc), Some(false));
        assert_eq!(config.features.choice(Capability::Exceptions), Some(true));
        assert_eq!(config.compiler, Compiler::Singlepass);
    }
}
