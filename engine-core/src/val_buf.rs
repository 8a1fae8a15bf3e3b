//! Buffers sized to a signature, for backends: calls of up to eight values keep them on the
//! stack. [`ValBuf`] holds [`Val`]s, [`BitsBuf`] their bits (see
//! [`HostFunc::call_bits`](crate::HostFunc::call_bits)).

use crate::value::{Val, ValType};

/// A small buffer of values, inline up to eight so that host calls do not allocate.
#[allow(clippy::large_enum_variant, reason = "the inline variant lives on the stack on purpose")]
#[derive(Debug)]
pub enum ValBuf {
    /// Up to [`ValBuf::INLINE`] values, on the stack.
    Inline([Val; ValBuf::INLINE], usize),
    /// More values.
    Heap(Vec<Val>),
}

impl ValBuf {
    /// How many values fit inline.
    pub const INLINE: usize = 8;

    /// A buffer holding the zero value of each type in `types`.
    pub fn zeroed(types: &[ValType]) -> Self {
        if types.len() <= Self::INLINE {
            let mut vals = [const { Val::I32(0) }; Self::INLINE];
            for (slot, ty) in vals.iter_mut().zip(types) {
                *slot = Val::default_for(*ty);
            }
            ValBuf::Inline(vals, types.len())
        } else {
            ValBuf::Heap(types.iter().map(|t| Val::default_for(*t)).collect())
        }
    }

    /// The values.
    pub fn as_mut_slice(&mut self) -> &mut [Val] {
        match self {
            ValBuf::Inline(vals, len) => &mut vals[..*len],
            ValBuf::Heap(vals) => vals,
        }
    }
}

/// A buffer of value bits, zeroed, inline up to eight slots.
#[derive(Debug)]
pub enum BitsBuf {
    /// Up to [`BitsBuf::INLINE`] slots, on the stack.
    Inline([u128; BitsBuf::INLINE], usize),
    /// More slots.
    Heap(Vec<u128>),
}

impl BitsBuf {
    /// How many slots fit inline.
    pub const INLINE: usize = 8;

    /// `len` zeroed slots.
    #[inline]
    pub fn new(len: usize) -> Self {
        if len <= Self::INLINE {
            BitsBuf::Inline([0; Self::INLINE], len)
        } else {
            BitsBuf::Heap(vec![0; len])
        }
    }

    /// The slots.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u128] {
        match self {
            BitsBuf::Inline(bits, len) => &mut bits[..*len],
            BitsBuf::Heap(bits) => bits,
        }
    }
}
