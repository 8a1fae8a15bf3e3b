//! Parsing what users type: sizes, directory and environment specs, and invocation arguments.

use std::path::PathBuf;

use wasmux::{Error, FuncType, Result, Val, ValType};

/// A size in bytes: a number with an optional unit (`k`, `m`, `g` are powers of 1024, as are
/// `KiB`, `MiB`, `GiB`; `KB`, `MB`, `GB` are powers of 1000).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().map_err(|_| format!("`{text}` is not a size (e.g. 64MiB)"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit `{other}` (use KiB, MiB, GiB)")),
    };
    number.checked_mul(multiplier).ok_or_else(|| format!("size `{text}` is too large"))
}

/// A duration such as `100ms`, `2s` or `1m`.
pub fn parse_duration(text: &str) -> std::result::Result<std::time::Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration (e.g. 500ms): {e}"))
}

/// `HOST[::GUEST]`: a host directory and the path the guest sees it at (the host path itself
/// when no guest path is given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirSpec {
    /// The directory on the host.
    pub host: PathBuf,
    /// The path the guest opens.
    pub guest: String,
}

/// Parses a `--dir` value.
pub fn parse_dir(text: &str) -> std::result::Result<DirSpec, String> {
    let (host, guest) = match text.split_once("::") {
        Some((host, guest)) => (host, guest),
        None => (text, text),
    };
    if host.is_empty() || guest.is_empty() {
        return Err(format!("`{text}` is not HOST[::GUEST]"));
    }
    Ok(DirSpec { host: PathBuf::from(host), guest: guest.to_string() })
}

/// `NAME=VALUE`, or `NAME` to pass the host's value on.
pub fn parse_env(text: &str) -> std::result::Result<(String, String), String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name.to_string(), value.to_string()),
        None => {
            let value = std::env::var(text).map_err(|_| {
                format!("--env {text}: the host has no such variable; write {text}=VALUE")
            })?;
            (text.to_string(), value)
        }
    };
    if name.is_empty() {
        return Err(format!("--env `{text}`: the name is empty"));
    }
    Ok((name, value))
}

/// Parses invocation arguments by the export's parameter types.
pub fn parse_invoke_args(func: &str, ty: &FuncType, args: &[String]) -> Result<Vec<Val>> {
    if args.len() != ty.params().len() {
        return Err(Error::InvalidArgument(format!(
            "`{func}` has type {ty} and takes {} arguments, {} given",
            ty.params().len(),
            args.len()
        )));
    }
    ty.params().iter().zip(args).map(|(ty, text)| parse_val(*ty, text)).collect()
}

fn parse_val(ty: ValType, text: &str) -> Result<Val> {
    let bad = || Error::InvalidArgument(format!("`{text}` is not a valid {ty}"));
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let integer = || -> Option<i128> {
        let magnitude = match digits.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16).ok()?,
            None => digits.parse::<i128>().ok()?,
        };
        Some(if negative { -magnitude } else { magnitude })
    };
    match ty {
        // Integers accept signed and unsigned spellings of the same bits, as wasm does.
        ValType::I32 => {
            let value =
                integer().filter(|v| (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(v));
            value.map(|v| Val::I32(v as i32)).ok_or_else(bad)
        }
        ValType::I64 => {
            let value =
                integer().filter(|v| (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(v));
            value.map(|v| Val::I64(v as i64)).ok_or_else(bad)
        }
        ValType::F32 => text.parse::<f32>().map(Val::from).map_err(|_| bad()),
        ValType::F64 => text.parse::<f64>().map(Val::from).map_err(|_| bad()),
        ValType::V128 => match text.strip_prefix("0x") {
            Some(hex) => u128::from_str_radix(hex, 16).map(Val::V128).map_err(|_| bad()),
            None => text.parse::<u128>().map(Val::V128).map_err(|_| bad()),
        },
        // References, of any kind.
        _ if text == "null" => Ok(Val::default_for(ty)),
        _ => Err(Error::InvalidArgument(format!(
            "{ty} arguments can only be `null` on the command line"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        for bad in ["", "MiB", "12 parsecs", "-1", "99999999999999999999G", "1.5G"] {
            assert!(parse_size(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("150ms"), Ok(std::time::Duration::from_millis(150)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn dirs() {
        assert_eq!(
            parse_dir("data::/"),
            Ok(DirSpec { host: PathBuf::from("data"), guest: "/".into() })
        );
        assert_eq!(parse_dir("data").map(|d| d.guest), Ok("data".into()));
        assert!(parse_dir("::/x").is_err());
        assert!(parse_dir("x::").is_err());
    }

    #[test]
    fn envs() {
        assert_eq!(parse_env("A=b=c"), Ok(("A".into(), "b=c".into())));
        assert!(parse_env("=x").is_err());
        assert!(parse_env("WASMUX_SURELY_UNSET_VARIABLE").is_err());
    }

    #[test]
    fn invoke_args_by_type() {
        let ty = FuncType::new([ValType::I32, ValType::I64, ValType::F64, ValType::V128], []);
        let args = ["-1", "0xffffffffffffffff", "2.5", "0x10"].map(String::from);
        assert_eq!(
            parse_invoke_args("f", &ty, &args).ok(),
            Some(vec![Val::I32(-1), Val::I64(-1), Val::from(2.5f64), Val::V128(16)])
        );
        assert_eq!(parse_val(ValType::I32, "4294967295").ok(), Some(Val::I32(-1)));
        for (ty, text) in
            [(ValType::I32, "4294967296"), (ValType::I32, "ten"), (ValType::F32, "1,5")]
        {
            assert!(parse_val(ty, text).is_err(), "{text} accepted as {ty}");
        }
        assert!(parse_invoke_args("f", &ty, &["1".to_string()]).is_err());
    }
}
