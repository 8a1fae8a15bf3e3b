//! Where two outputs or two memories first differ, said so a reader can find it.

/// The first line (counting from 1) where `left` and `right` differ, with both lines as
/// printed (quoted, or `end of output` where one has no such line).
pub fn first_line_difference(left: &[u8], right: &[u8]) -> Option<(usize, String, String)> {
    let (mut l, mut r) =
        (left.split_inclusive(|b| *b == b'\n'), right.split_inclusive(|b| *b == b'\n'));
    let show = |line: Option<&[u8]>| match line {
        Some(line) => format!("{:?}", String::from_utf8_lossy(line)),
        None => "end of output".to_string(),
    };
    let mut number = 0;
    loop {
        number += 1;
        let (a, b) = (l.next(), r.next());
        if a != b {
            return Some((number, show(a), show(b)));
        }
        a?;
    }
}

/// Where two memories first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryDifference {
    /// `address 0x…` (and how many bytes differ in all), or `size`.
    pub place: String,
    /// What the left memory holds there.
    pub left: String,
    /// What the right memory holds there.
    pub right: String,
    /// Set when the differing bytes are NaNs in both memories: their bit patterns are each
    /// engine's choice.
    pub allowed: Option<&'static str>,
}

/// Why differing NaNs are no bug.
const NAN_BITS: &str = "both are NaNs: the bit pattern of a NaN produced by float arithmetic \
                        (f32/f64 and f32x4/f64x2 operations) is each engine's choice";

/// The first address where `left` and `right` differ, with both bytes, or their sizes.
pub fn memory_difference(left: &[u8], right: &[u8]) -> Option<MemoryDifference> {
    if left.len() != right.len() {
        return Some(MemoryDifference {
            place: "size".into(),
            left: format!("{} bytes", left.len()),
            right: format!("{} bytes", right.len()),
            allowed: None,
        });
    }
    let address = left.iter().zip(right).position(|(a, b)| a != b)?;
    let differing = left.iter().zip(right).filter(|(a, b)| a != b).count();
    let more = match differing {
        1 => String::new(),
        n => format!(" ({n} bytes differ in all)"),
    };
    Some(MemoryDifference {
        place: format!("address {address:#x}{more}"),
        left: format!("{:#04x}", left[address]),
        right: format!("{:#04x}", right[address]),
        allowed: both_nans(left, right, address).then_some(NAN_BITS),
    })
}

/// Whether the aligned 4- or 8-byte word holding `address` is a NaN in both memories.
fn both_nans(left: &[u8], right: &[u8], address: usize) -> bool {
    let word = |memory: &[u8], size: usize| {
        let start = address - address % size;
        memory.get(start..start + size).map(<[u8]>::to_vec)
    };
    let nan32 =
        |bytes: Vec<u8>| bytes.try_into().is_ok_and(|b: [u8; 4]| f32::from_le_bytes(b).is_nan());
    let nan64 =
        |bytes: Vec<u8>| bytes.try_into().is_ok_and(|b: [u8; 8]| f64::from_le_bytes(b).is_nan());
    let is32 = word(left, 4).is_some_and(nan32) && word(right, 4).is_some_and(nan32);
    is32 || word(left, 8).is_some_and(nan64) && word(right, 8).is_some_and(nan64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one_and_a_missing_line_is_the_end() {
        assert_eq!(first_line_difference(b"a\nb\n", b"a\nb\n"), None);
        assert_eq!(
            first_line_difference(b"a\nb\nc\n", b"a\nB\nc\n"),
            Some((2, "\"b\\n\"".into(), "\"B\\n\"".into()))
        );
        assert_eq!(
            first_line_difference(b"a\n", b"a\nmore\n"),
            Some((2, "end of output".into(), "\"more\\n\"".into()))
        );
    }

    #[test]
    fn memories_differ_at_the_first_unequal_byte() {
        let left = [0u8, 1, 2, 3, 4, 5, 6, 7];
        let mut right = left;
        right[5] = 0x2a;
        right[7] = 0;
        let found = memory_difference(&left, &right).expect("a difference");
        assert_eq!(found.place, "address 0x5 (2 bytes differ in all)");
        assert_eq!((found.left.as_str(), found.right.as_str()), ("0x05", "0x2a"));
        assert_eq!(found.allowed, None);
        assert_eq!(memory_difference(&left, &left), None);
        assert_eq!(memory_difference(&left, &left[..4]).map(|d| d.place), Some("size".into()));
    }

    #[test]
    fn differing_nans_are_named_as_allowed() {
        let mut left = [0u8; 16];
        let mut right = [0u8; 16];
        left[4..8].copy_from_slice(&0x7fc0_0000u32.to_le_bytes());
        right[4..8].copy_from_slice(&0xffc0_0000u32.to_le_bytes());
        let found = memory_difference(&left, &right).expect("a difference");
        assert_eq!(found.place, "address 0x7");
        assert_eq!(found.allowed, Some(NAN_BITS));
        right[4..8].copy_from_slice(&1.0f32.to_bits().to_le_bytes());
        assert_eq!(memory_difference(&left, &right).expect("a difference").allowed, None);
    }
}
