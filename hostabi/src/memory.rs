//! Bounds-checked access to a guest's linear memory.
//!
//! Host functions receive the caller's memory as a plain `&mut [u8]` and
//! every guest pointer and length goes through [`GuestMemory`] before it is
//! used: a range that does not lie entirely inside the memory is
//! `Errno::Fault` (EFAULT) for the guest, never an out-of-bounds access by
//! the host. Values are little-endian, as in wasm; guest pointers need no
//! alignment (wasm memory accesses do not either).

use crate::wasi::types::Errno;

/// A guest linear memory seen by a host function.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    pub fn new(bytes: &'a mut [u8]) -> GuestMemory<'a> {
        GuestMemory { bytes }
    }

    /// Size of the memory in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The byte range `[ptr, ptr + len)` if it lies inside the memory.
    fn range(&self, ptr: u32, len: u32) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        Ok(start..end)
    }

    /// Checks that `[ptr, ptr + len)` lies inside the memory.
    pub fn check(&self, ptr: u32, len: u32) -> Result<(), Errno> {
        self.range(ptr, len).map(|_| ())
    }

    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        self.bytes.get(r).ok_or(Errno::Fault)
    }

    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        self.bytes.get_mut(r).ok_or(Errno::Fault)
    }

    fn array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let s = self.slice(ptr, N as u32)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.array::<1>(ptr)?[0])
    }
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write_bytes(ptr, &[v])
    }
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// A guest string: bytes that must be valid UTF-8 (WASI paths are
    /// `string`s); invalid UTF-8 is `Errno::Ilseq`.
    pub fn read_str(&self, ptr: u32, len: u32) -> Result<&str, Errno> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// Reads an array of `count` `(buf, buf_len)` pairs (an `iovec` list)
    /// starting at `ptr`.
    pub fn read_iovecs(&self, ptr: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let bytes = count.checked_mul(8).ok_or(Errno::Fault)?;
        let raw = self.slice(ptr, bytes)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 4];
                let mut b = [0u8; 4];
                a.copy_from_slice(&c[..4]);
                b.copy_from_slice(&c[4..]);
                (u32::from_le_bytes(a), u32::from_le_bytes(b))
            })
            .collect())
    }

    /// Shared views of several guest ranges (they may overlap).
    pub fn slices(&self, ranges: &[(u32, u32)]) -> Result<Vec<&[u8]>, Errno> {
        ranges.iter().map(|&(p, l)| self.slice(p, l)).collect()
    }

    /// Mutable views of several guest ranges, in the order given, if no two
    /// non-empty ranges overlap; `Ok(None)` if some do (the caller then
    /// goes through a bounce buffer). Every range is bounds-checked first.
    pub fn disjoint_slices_mut(&mut self, ranges: &[(u32, u32)]) -> Result<Option<Vec<&mut [u8]>>, Errno> {
        let mut order: Vec<(usize, std::ops::Range<usize>)> = Vec::with_capacity(ranges.len());
        for (i, &(p, l)) in ranges.iter().enumerate() {
            let r = self.range(p, l)?;
            if !r.is_empty() {
                order.push((i, r));
            }
        }
        order.sort_by_key(|(_, r)| r.start);
        if order.windows(2).any(|w| w[0].1.end > w[1].1.start) {
            return Ok(None);
        }
        let mut out: Vec<&mut [u8]> = (0..ranges.len()).map(|_| <&mut [u8]>::default()).collect();
        let mut rest: &mut [u8] = self.bytes;
        let mut consumed = 0usize;
        for (i, r) in order {
            let tail = std::mem::take(&mut rest);
            let (_, tail) = tail.split_at_mut(r.start - consumed);
            let (mine, tail) = tail.split_at_mut(r.len());
            rest = tail;
            consumed = r.end;
            if let Some(slot) = out.get_mut(i) {
                *slot = mine;
            }
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_bounds_accesses_read_and_write_little_endian() {
        let mut buf = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut buf);
        m.write_u32(4, 0x1122_3344).unwrap();
        m.write_u64(8, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(m.read_u8(4).unwrap(), 0x44);
        assert_eq!(m.read_u16(4).unwrap(), 0x3344);
        assert_eq!(m.read_u32(4).unwrap(), 0x1122_3344);
        assert_eq!(m.read_u64(8).unwrap(), 0x0102_0304_0506_0708);
        // Last byte is reachable, one past is not.
        m.write_u8(15, 9).unwrap();
        assert_eq!(m.read_u8(15).unwrap(), 9);
    }

    #[test]
    fn out_of_range_is_efault_never_a_panic() {
        let mut buf = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut buf);
        assert_eq!(m.read_u8(16), Err(Errno::Fault));
        assert_eq!(m.read_u32(13), Err(Errno::Fault));
        assert_eq!(m.read_u64(u32::MAX), Err(Errno::Fault));
        assert_eq!(m.write_u32(14, 1), Err(Errno::Fault));
        assert_eq!(m.slice(0, 17).err(), Some(Errno::Fault));
        assert_eq!(m.slice(u32::MAX, u32::MAX).err(), Some(Errno::Fault));
        assert!(m.slice(16, 0).is_ok(), "an empty range at the end is in bounds");
        assert_eq!(m.slice(17, 0).err(), Some(Errno::Fault));
        assert_eq!(m.read_iovecs(8, 2).err(), Some(Errno::Fault));
        assert_eq!(m.read_iovecs(0, u32::MAX).err(), Some(Errno::Fault));
        // Nothing was written by the failed stores.
        assert!(buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn empty_memory_faults_every_non_empty_access() {
        let mut buf: Vec<u8> = Vec::new();
        let m = GuestMemory::new(&mut buf);
        assert_eq!(m.read_u8(0), Err(Errno::Fault));
        assert!(m.slice(0, 0).is_ok());
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut buf = b"abc\xff".to_vec();
        let m = GuestMemory::new(&mut buf);
        assert_eq!(m.read_str(0, 3).unwrap(), "abc");
        assert_eq!(m.read_str(0, 4).err(), Some(Errno::Ilseq));
        assert_eq!(m.read_str(2, 3).err(), Some(Errno::Fault));
    }

    #[test]
    fn iovecs_decode_in_order() {
        let mut buf = vec![0u8; 32];
        let mut m = GuestMemory::new(&mut buf);
        m.write_u32(0, 100).unwrap();
        m.write_u32(4, 5).unwrap();
        m.write_u32(8, 200).unwrap();
        m.write_u32(12, 7).unwrap();
        assert_eq!(m.read_iovecs(0, 2).unwrap(), vec![(100, 5), (200, 7)]);
        assert_eq!(m.read_iovecs(0, 0).unwrap(), vec![]);
    }

    #[test]
    fn disjoint_mutable_slices_keep_the_callers_order() {
        let mut buf: Vec<u8> = (0..32).collect();
        let mut m = GuestMemory::new(&mut buf);
        let v = m.disjoint_slices_mut(&[(20, 4), (0, 2), (10, 0), (4, 3)]).unwrap().unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(&*v[0], &[20, 21, 22, 23]);
        assert_eq!(&*v[1], &[0, 1]);
        assert!(v[2].is_empty());
        assert_eq!(&*v[3], &[4, 5, 6]);
    }

    #[test]
    fn overlapping_mutable_slices_are_reported_not_aliased() {
        let mut buf = vec![0u8; 32];
        let mut m = GuestMemory::new(&mut buf);
        assert!(m.disjoint_slices_mut(&[(0, 8), (4, 8)]).unwrap().is_none());
        // Touching ranges do not overlap.
        assert!(m.disjoint_slices_mut(&[(0, 8), (8, 8)]).unwrap().is_some());
        // Bounds are checked before overlap.
        assert_eq!(m.disjoint_slices_mut(&[(0, 8), (30, 8)]).err(), Some(Errno::Fault));
    }
}
