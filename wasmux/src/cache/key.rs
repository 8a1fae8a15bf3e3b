//! The cache key: everything that decides the bytes of an artifact, hashed.

use std::fmt;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::{Config, DynEngine, EngineInfo};

/// Version of the directory layout, and part of every key. Bump it when the layout changes.
/// A changed key recipe needs no bump: entries under old keys are never hit again and, being
/// in the same directory, age out through eviction.
pub(crate) const LAYOUT: &str = "v1";

/// Identifies one cache entry: a SHA-256 over the module's own SHA-256, the engine's name and
/// exact version, the engine's code generator and capabilities, the compatibility key its
/// artifacts carry (which covers the engine's own build options), the [`Config`], wasmux's
/// version and the host (target triple and the CPU features code generators use).
///
/// Two compilations with the same key produce interchangeable artifacts; anything that could
/// make an artifact invalid on this host, or different, changes the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of compiling the binary module `wasm` on `engine`, built with `config`, on this
    /// host.
    pub fn new(engine: &dyn DynEngine, config: &Config, wasm: &[u8]) -> CacheKey {
        CacheKey::for_digest(engine.info(), engine.artifact_compat(), config, &module_digest(wasm))
    }

    /// The key of a module whose SHA-256 is `module`, on an engine described by `engine` whose
    /// artifacts carry the compatibility key `compat`.
    pub(crate) fn for_digest(
        engine: &EngineInfo,
        compat: Option<&str>,
        config: &Config,
        module: &[u8; 32],
    ) -> CacheKey {
        let mut hasher = Sha256::new();
        hasher.update(context(engine, compat, config).as_bytes());
        hasher.update(module);
        CacheKey(hasher.finalize().into())
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as 64 lowercase hexadecimal digits, as used in entry file names.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for byte in self.0 {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
        hex
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", self.to_hex())
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The SHA-256 of the binary module `wasm`.
pub(crate) fn module_digest(wasm: &[u8]) -> [u8; 32] {
    Sha256::digest(wasm).into()
}

/// Everything but the module that goes into the key, one item a line.
///
/// The whole [`Config`] is serialised, not a hand-picked subset: a field that does not change
/// generated code only costs a cache miss, whereas a forgotten field that does would load an
/// artifact compiled for other settings (which the envelope's compatibility key would then
/// refuse, but only after a wasted read).
fn context(engine: &EngineInfo, compat: Option<&str>, config: &Config) -> String {
    let config = serde_json::to_string(config).unwrap_or_else(|_| format!("{config:?}"));
    format!(
        "wasmux-cache {LAYOUT}\nwasmux {}\nengine {} {}\ncompiler {}\ncapabilities {}\nartifacts {}\nconfig {config}\nhost {}\n",
        env!("CARGO_PKG_VERSION"),
        engine.name,
        engine.version,
        engine.compiler.unwrap_or("-"),
        engine.capabilities,
        compat.unwrap_or("-"),
        host(),
    )
}

/// The host as code generators see it: architecture, OS, ABI, pointer width, endianness and
/// the CPU features they test for. Computed once per process.
pub(crate) fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let env = if cfg!(target_env = "gnu") {
            "gnu"
        } else if cfg!(target_env = "musl") {
            "musl"
        } else if cfg!(target_env = "msvc") {
            "msvc"
        } else {
            "none"
        };
        let endian = if cfg!(target_endian = "little") { "le" } else { "be" };
        format!(
            "{}-{}-{env} {}bit {endian} [{}]",
            std::env::consts::ARCH,
            std::env::consts::OS,
            usize::BITS,
            cpu_features().join(",")
        )
    })
}

/// Declares the features to test for; `is_*_feature_detected!` wants literals.
macro_rules! detected {
    ($detect:ident; $($feature:tt),* $(,)?) => {
        [$(($feature, $detect!($feature))),*]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect()
    };
}

/// The x86-64 features Cranelift's and LLVM's backends select instructions by.
#[cfg(target_arch = "x86_64")]
fn cpu_features() -> Vec<&'static str> {
    use std::arch::is_x86_feature_detected;
    detected!(is_x86_feature_detected;
        "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma", "f16c", "bmi1",
        "bmi2", "lzcnt", "cmpxchg16b", "avx512f", "avx512vl", "avx512dq", "avx512bw",
        "avx512cd", "avx512vbmi", "avx512bitalg", "avx512vpopcntdq",
    )
}

/// The AArch64 features Cranelift's and LLVM's backends select instructions by.
#[cfg(target_arch = "aarch64")]
fn cpu_features() -> Vec<&'static str> {
    use std::arch::is_aarch64_feature_detected;
    detected!(is_aarch64_feature_detected;
        "neon", "lse", "paca", "pacg", "bti", "fp16", "dotprod", "crc", "aes", "sha2",
    )
}

/// Elsewhere the architecture name stands for the CPU; engines' own checks catch the rest.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn cpu_features() -> Vec<&'static str> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Capabilities, EngineKind};

    fn info(version: &'static str) -> EngineInfo {
        EngineInfo::new("fake", version, EngineKind::Aot, Some("cranelift"), Capabilities::none())
    }

    fn key(engine: &EngineInfo, compat: &str, config: &Config, wasm: &[u8]) -> CacheKey {
        CacheKey::for_digest(engine, Some(compat), config, &module_digest(wasm))
    }

    #[test]
    fn the_key_covers_module_engine_version_build_and_config() {
        let config = Config::default();
        let base = key(&info("1.0.0"), "build", &config, b"module");
        assert_eq!(base, key(&info("1.0.0"), "build", &config, b"module"));
        assert_ne!(base, key(&info("1.0.0"), "build", &config, b"module2"));
        assert_ne!(base, key(&info("1.0.1"), "build", &config, b"module"));
        assert_ne!(base, key(&info("1.0.0"), "other build", &config, b"module"));
        assert_ne!(
            base,
            CacheKey::for_digest(&info("1.0.0"), None, &config, &module_digest(b"module"))
        );
        let mut other = info("1.0.0");
        other.name = "other";
        assert_ne!(base, key(&other, "build", &config, b"module"));
        let mut other = info("1.0.0");
        other.compiler = Some("singlepass");
        assert_ne!(base, key(&other, "build", &config, b"module"));
        for change in [
            |c: &mut Config| c.fuel = true,
            |c: &mut Config| c.interruptible = true,
            |c: &mut Config| c.opt_level = crate::OptLevel::None,
            |c: &mut Config| c.compiler = crate::Compiler::Singlepass,
            |c: &mut Config| c.max_wasm_stack = Some(1 << 20),
            |c: &mut Config| {
                c.features.set(crate::Capability::Simd, false);
            },
            |c: &mut Config| {
                c.features.set(crate::Capability::Threads, true);
            },
        ] {
            let mut config = Config::default();
            change(&mut config);
            assert_ne!(base, key(&info("1.0.0"), "build", &config, b"module"), "{config:?}");
        }
    }

    #[test]
    fn hex_and_host() {
        let key = CacheKey([0xab; 32]);
        assert_eq!(key.to_hex(), "ab".repeat(32));
        assert!(host().starts_with(std::env::consts::ARCH), "{}", host());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(host().contains("avx2"), std::arch::is_x86_feature_detected!("avx2"));
    }
}
