//! Bounds-checked access to a guest's linear memory. Every pointer the guest passes goes through
//! here; one that does not fit the memory is [`Errno::Fault`], never a panic.

use std::ops::Range;

use super::errno::{Errno, WasiResult};

/// A guest's linear memory, as seen by the WASI functions. Guest pointers are 32-bit offsets;
/// values are little-endian.
#[derive(Debug)]
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// The size of an `iovec` / `ciovec`: a 32-bit pointer and a 32-bit length.
pub(crate) const IOVEC_SIZE: u32 = 8;

impl<'a> GuestMemory<'a> {
    /// A view of `bytes`, the whole linear memory.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    /// The memory's size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the memory has no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn range(&self, ptr: u32, len: u64) -> WasiResult<Range<usize>> {
        let start = u64::from(ptr);
        match start.checked_add(len) {
            Some(end) if end <= self.bytes.len() as u64 => Ok(start as usize..end as usize),
            _ => Err(Errno::Fault),
        }
    }

    /// Checks that `len` bytes at `ptr` lie inside the memory.
    pub fn check(&self, ptr: u32, len: u64) -> WasiResult<()> {
        self.range(ptr, len).map(drop)
    }

    /// `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let range = self.range(ptr, u64::from(len))?;
        Ok(&self.bytes[range])
    }

    /// `len` bytes at `ptr`, writable.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let range = self.range(ptr, u64::from(len))?;
        Ok(&mut self.bytes[range])
    }

    fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        let range = self.range(ptr, N as u64)?;
        let mut out = [0; N];
        out.copy_from_slice(&self.bytes[range]);
        Ok(out)
    }

    /// Reads a byte.
    pub fn read_u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, ptr: u32) -> WasiResult<u16> {
        self.array(ptr).map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, ptr: u32) -> WasiResult<u32> {
        self.array(ptr).map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, ptr: u32) -> WasiResult<u64> {
        self.array(ptr).map(u64::from_le_bytes)
    }

    /// Copies `bytes` to `ptr`.
    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> WasiResult<()> {
        let range = self.range(ptr, bytes.len() as u64)?;
        self.bytes[range].copy_from_slice(bytes);
        Ok(())
    }

    /// Writes a byte.
    pub fn write_u8(&mut self, ptr: u32, value: u8) -> WasiResult<()> {
        self.write(ptr, &[value])
    }

    /// Writes a little-endian `u16`.
    pub fn write_u16(&mut self, ptr: u32, value: u16) -> WasiResult<()> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, ptr: u32, value: u32) -> WasiResult<()> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, ptr: u32, value: u64) -> WasiResult<()> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// A UTF-8 string of `len` bytes at `ptr`: [`Errno::Fault`] outside memory,
    /// [`Errno::Ilseq`] when not UTF-8.
    pub fn read_str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// The `index`th `(buf, buf_len)` pair of the iovec array at `iovs`.
    pub fn iovec(&self, iovs: u32, index: u32) -> WasiResult<(u32, u32)> {
        let at = u64::from(iovs) + u64::from(index) * u64::from(IOVEC_SIZE);
        let at = u32::try_from(at).map_err(|_| Errno::Fault)?;
        let raw: [u8; 8] = self.array(at)?;
        let [a, b, c, d, e, f, g, h] = raw;
        Ok((u32::from_le_bytes([a, b, c, d]), u32::from_le_bytes([e, f, g, h])))
    }

    /// Checks that the iovec array and every buffer it names lie inside the memory; returns
    /// the total length of the buffers.
    pub fn check_iovecs(&self, iovs: u32, count: u32) -> WasiResult<u64> {
        self.check(iovs, u64::from(count) * u64::from(IOVEC_SIZE))?;
        let mut total = 0u64;
        for i in 0..count {
            let (ptr, len) = self.iovec(iovs, i)?;
            self.check(ptr, u64::from(len))?;
            total += u64::from(len);
        }
        Ok(total)
    }

    /// Fills the buffers of an iovec array in order with `read`, stopping at the first short
    /// read (or after the first non-empty buffer when `first_only`, for streams that might
    /// block). Returns the number of bytes read; an error after some bytes were read is not
    /// reported, so no data is lost.
    pub(crate) fn read_iovecs(
        &mut self,
        iovs: u32,
        count: u32,
        first_only: bool,
        mut read: impl FnMut(&mut [u8]) -> WasiResult<usize>,
    ) -> WasiResult<u32> {
        self.check_iovecs(iovs, count)?;
        let mut total: u32 = 0;
        for i in 0..count {
            let (ptr, len) = self.iovec(iovs, i)?;
            if len == 0 {
                continue;
            }
            let buf = self.slice_mut(ptr, len)?;
            let got = match read(buf) {
                Ok(n) => n.min(len as usize) as u32,
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            };
            total = match total.checked_add(got) {
                Some(t) => t,
                None => break,
            };
            if got < len || first_only {
                break;
            }
        }
        Ok(total)
    }

    /// Writes out the buffers of a ciovec array in order with `write`, stopping at the first
    /// short write (or after the first non-empty buffer when `first_only`). Returns the number
    /// of bytes written.
    pub(crate) fn write_iovecs(
        &self,
        iovs: u32,
        count: u32,
        first_only: bool,
        mut write: impl FnMut(&[u8]) -> WasiResult<usize>,
    ) -> WasiResult<u32> {
        self.check_iovecs(iovs, count)?;
        let mut total: u32 = 0;
        for i in 0..count {
            let (ptr, len) = self.iovec(iovs, i)?;
            if len == 0 {
                continue;
            }
            let buf = self.slice(ptr, len)?;
            let put = match write(buf) {
                Ok(n) => n.min(len as usize) as u32,
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            };
            total = match total.checked_add(put) {
                Some(t) => t,
                None => break,
            };
            if put < len || first_only {
                break;
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_are_bounds_checked() {
        let mut bytes = vec![0u8; 16];
        let mut mem = GuestMemory::new(&mut bytes);
        mem.write_u64(8, 0x0102_0304_0506_0708).expect("in bounds");
        assert_eq!(mem.read_u64(8), Ok(0x0102_0304_0506_0708));
        assert_eq!(mem.read_u32(8), Ok(0x0506_0708));
        assert_eq!(mem.read_u16(8), Ok(0x0708));
        assert_eq!(mem.read_u8(15), Ok(0x01));
        assert_eq!(mem.write_u64(9, 1), Err(Errno::Fault));
        assert_eq!(mem.read_u32(u32::MAX), Err(Errno::Fault));
        assert_eq!(mem.slice(16, 0).map(<[u8]>::len), Ok(0));
        assert_eq!(mem.slice(17, 0).map(<[u8]>::len), Err(Errno::Fault));
        assert_eq!(mem.slice(u32::MAX, u32::MAX).map(<[u8]>::len), Err(Errno::Fault));
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut bytes = b"ok\xff".to_vec();
        let mem = GuestMemory::new(&mut bytes);
        assert_eq!(mem.read_str(0, 2), Ok("ok"));
        assert_eq!(mem.read_str(0, 3), Err(Errno::Ilseq));
        assert_eq!(mem.read_str(2, 5), Err(Errno::Fault));
    }

    #[test]
    fn iovecs_are_checked_before_any_io() {
        let mut bytes = vec![0u8; 64];
        let mut mem = GuestMemory::new(&mut bytes);
        // Two iovecs at 0: (32, 4) and (60, 8) — the second runs past the end.
        mem.write_u32(0, 32).expect("in bounds");
        mem.write_u32(4, 4).expect("in bounds");
        mem.write_u32(8, 60).expect("in bounds");
        mem.write_u32(12, 8).expect("in bounds");
        let mut calls = 0;
        let result = mem.read_iovecs(0, 2, false, |buf| {
            calls += 1;
            Ok(buf.len())
        });
        assert_eq!(result, Err(Errno::Fault));
        assert_eq!(calls, 0);
        assert_eq!(mem.check_iovecs(0, 1), Ok(4));
    }
}
