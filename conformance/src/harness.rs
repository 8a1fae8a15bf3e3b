//! Turns the cases into libtest trials for one engine.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Completion, Trial};
use wasmux_core::{Capability, Config, Engine};

use crate::case::Ctx;
use crate::program::{check, observe};
use crate::{cases, probe, programs, wast};

/// Engines built once per distinct configuration and shared by the cases that use it.
pub(crate) struct EngineCache<E: Engine> {
    engines: Mutex<HashMap<Config, Result<Arc<E>, String>>>,
}

impl<E: Engine> EngineCache<E> {
    fn new() -> Self {
        EngineCache { engines: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn get(&self, config: &Config) -> Result<Arc<E>, String> {
        let mut engines = self.engines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        engines
            .entry(config.clone())
            .or_insert_with(|| E::new(config).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
    }
}

/// Runs the whole suite on engine `E` with libtest's command line; returns the exit code.
pub fn main<E: Engine>() -> ExitCode {
    let args = Arguments::from_args();
    libtest_mimic::run(&args, trials::<E>()).exit_code()
}

/// Every case and capability probe of the suite as a trial for engine `E`.
pub fn trials<E: Engine>() -> Vec<Trial> {
    let cache = EngineCache::<E>::new();
    // Every engine enables by default the proposals it implements: cases needing others are
    // skipped by capability, visibly, and their refusal is checked below.
    let base = Config::default();
    let engine_name = match cache.get(&base) {
        Ok(engine) => engine.info().name,
        Err(error) => {
            return vec![Trial::test("engine/default-config", move || {
                Err(format!("the engine refuses the default configuration: {error}").into())
            })];
        }
    };
    let mut trials: Vec<Trial> = cases::all::<E>()
        .into_iter()
        .map(|case| {
            let name = format!("{engine_name}/{}/{}", case.group, case.name);
            let config = case.config(&base);
            let engine = cache.get(&config);
            Trial::ignorable_test(name, move || {
                let engine = match engine {
                    Ok(engine) => engine,
                    Err(error) => {
                        return Ok(Completion::ignored_with(format!("unsupported: {error}")));
                    }
                };
                if let Some(missing) = engine.info().capabilities.first_missing(case.requires) {
                    return Ok(Completion::ignored_with(format!("needs capability {missing}")));
                }
                (case.run)(&Ctx { engine: &engine, config: &config })?;
                Ok(Completion::Completed)
            })
        })
        .collect();
    for program in programs::all() {
        let name = format!("{engine_name}/{}/{}", program.group, program.name);
        let engine = cache.get(&base);
        trials.push(Trial::ignorable_test(name, move || {
            let engine = engine?;
            if let Some(missing) = engine.info().capabilities.first_missing(program.requires) {
                return Ok(Completion::ignored_with(format!("needs capability {missing}")));
            }
            check(&program, &observe(engine.as_dyn(), &program)?)?;
            Ok(Completion::Completed)
        }));
    }
    for (file, source) in wast::SCRIPTS {
        let name = format!("{engine_name}/wast/{file}");
        let engine = wast::config_for(&base, source).map(|config| cache.get(&config));
        trials.push(Trial::ignorable_test(name, move || {
            let engine = match engine? {
                Ok(engine) => engine,
                Err(error) => return Ok(Completion::ignored_with(format!("unsupported: {error}"))),
            };
            let report = wast::run_wast(engine.as_dyn(), file, source)?;
            if report.failed() > 0 {
                return Err(report.to_string().into());
            }
            if report.passed() == 0 {
                return Ok(Completion::ignored_with(report.to_string().trim_end().to_string()));
            }
            Ok(Completion::Completed)
        }));
    }
    for cap in Capability::ALL {
        if !probe::supports(&cache, &base, cap) {
            let name = format!("{engine_name}/unsupported/{cap}");
            let base = base.clone();
            trials.push(Trial::test(name, move || Ok(probe::check_refused::<E>(&base, cap)?)));
        }
    }
    trials
}
