//! What an engine can do, stated up front so callers and the conformance suite can ask.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing an engine may or may not be able to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Capability {
    /// Compile to an artifact and load it later without compiling.
    Precompile,
    /// Count executed work and stop at a fuel limit.
    Fuel,
    /// Stop a call at a wall-clock deadline.
    Deadline,
    /// Stop a running call from another thread.
    Interrupt,
    /// Cap linear memory growth.
    MemoryLimit,
    /// Cap table growth.
    TableLimit,
    /// Turn unbounded recursion into a `StackOverflow` trap.
    StackOverflowTrap,
    /// Fixed-width SIMD (`v128`).
    Simd,
    /// Relaxed SIMD.
    RelaxedSimd,
    /// Multiple results and block parameters.
    MultiValue,
    /// Bulk memory and table operations.
    BulkMemory,
    /// `funcref`/`externref` values and multiple tables.
    ReferenceTypes,
    /// `return_call` and friends.
    TailCalls,
    /// Exception handling (`try_table`, `throw`).
    Exceptions,
    /// Garbage-collected structs and arrays.
    Gc,
    /// Shared memory and atomics.
    Threads,
    /// 64-bit memory addresses.
    Memory64,
    /// More than one memory per module.
    MultiMemory,
    /// Extended constant expressions.
    ExtendedConst,
    /// Typed function references.
    FunctionReferences,
    /// Host functions returning more than one value (wasmer's Singlepass cannot call them).
    MultiResultHostFunctions,
}

impl Capability {
    /// Every capability, in declaration order.
    pub const ALL: [Capability; 21] = [
        Capability::Precompile,
        Capability::Fuel,
        Capability::Deadline,
        Capability::Interrupt,
        Capability::MemoryLimit,
        Capability::TableLimit,
        Capability::StackOverflowTrap,
        Capability::Simd,
        Capability::RelaxedSimd,
        Capability::MultiValue,
        Capability::BulkMemory,
        Capability::ReferenceTypes,
        Capability::TailCalls,
        Capability::Exceptions,
        Capability::Gc,
        Capability::Threads,
        Capability::Memory64,
        Capability::MultiMemory,
        Capability::ExtendedConst,
        Capability::FunctionReferences,
        Capability::MultiResultHostFunctions,
    ];

    /// A short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Precompile => "precompile",
            Capability::Fuel => "fuel",
            Capability::Deadline => "deadline",
            Capability::Interrupt => "interrupt",
            Capability::MemoryLimit => "memory-limit",
            Capability::TableLimit => "table-limit",
            Capability::StackOverflowTrap => "stack-overflow-trap",
            Capability::Simd => "simd",
            Capability::RelaxedSimd => "relaxed-simd",
            Capability::MultiValue => "multi-value",
            Capability::BulkMemory => "bulk-memory",
            Capability::ReferenceTypes => "reference-types",
            Capability::TailCalls => "tail-calls",
            Capability::Exceptions => "exceptions",
            Capability::Gc => "gc",
            Capability::Threads => "threads",
            Capability::Memory64 => "memory64",
            Capability::MultiMemory => "multi-memory",
            Capability::ExtendedConst => "extended-const",
            Capability::FunctionReferences => "function-references",
            Capability::MultiResultHostFunctions => "multi-result-host-functions",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of capabilities an engine has, as configured. Serialized as the list of their names.
#[derive(Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<Capability>", from = "Vec<Capability>")]
pub struct Capabilities(u32);

impl Capabilities {
    /// No capabilities.
    pub const fn none() -> Self {
        Capabilities(0)
    }

    /// Whether the engine has `cap`.
    pub fn has(self, cap: Capability) -> bool {
        self.0 & Self::bit(cap) != 0
    }

    /// Adds or removes `cap`.
    pub fn set(&mut self, cap: Capability, on: bool) -> &mut Self {
        if on {
            self.0 |= Self::bit(cap);
        } else {
            self.0 &= !Self::bit(cap);
        }
        self
    }

    /// The capabilities the engine has, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL.into_iter().filter(move |c| self.has(*c))
    }

    /// The first of `required` the engine lacks, if any.
    pub fn first_missing(self, required: &[Capability]) -> Option<Capability> {
        required.iter().copied().find(|c| !self.has(*c))
    }

    fn bit(cap: Capability) -> u32 {
        let index = Capability::ALL.iter().position(|c| *c == cap).unwrap_or(0);
        1 << index
    }
}

impl From<Capabilities> for Vec<Capability> {
    fn from(caps: Capabilities) -> Self {
        caps.iter().collect()
    }
}

impl From<Vec<Capability>> for Capabilities {
    fn from(caps: Vec<Capability>) -> Self {
        caps.into_iter().collect()
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        let mut caps = Capabilities::none();
        for cap in iter {
            caps.set(cap, true);
        }
        caps
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Capability::as_str).collect();
        f.write_str(&names.join(", "))
    }
}
