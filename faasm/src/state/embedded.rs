//! The in-process state store: values, appended lists and reader/writer
//! locks in maps behind one mutex. Locks are not guards but explicit
//! lock/unlock calls (the guest's), so they are counts waited on with a
//! condition variable.

use hostabi::faasm::{check_size, LockKind, StateError, StateStore};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Default)]
struct Inner {
    values: HashMap<String, Vec<u8>>,
    appended: HashMap<String, Vec<Vec<u8>>>,
    readers: HashMap<String, u32>,
    writers: HashMap<String, bool>,
}

pub struct EmbeddedStore {
    inner: Mutex<Inner>,
    unlocked: Condvar,
    max_value: u64,
}

impl Default for EmbeddedStore {
    fn default() -> Self {
        EmbeddedStore::new(super::DEFAULT_MAX_VALUE)
    }
}

impl EmbeddedStore {
    pub fn new(max_value: u64) -> EmbeddedStore {
        EmbeddedStore { inner: Mutex::new(Inner::default()), unlocked: Condvar::new(), max_value }
    }

    fn inner(&self) -> Result<MutexGuard<'_, Inner>, StateError> {
        self.inner.lock().map_err(|_| StateError::Backend("embedded store poisoned by a panic".into()))
    }
}

impl StateStore for EmbeddedStore {
    fn max_value_size(&self) -> u64 {
        self.max_value
    }

    fn size(&self, key: &str) -> Result<u64, StateError> {
        Ok(self.inner()?.values.get(key).map_or(0, |v| v.len() as u64))
    }

    fn get(&self, key: &str) -> Result<Vec<u8>, StateError> {
        Ok(self.inner()?.values.get(key).cloned().unwrap_or_default())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError> {
        check_size(key, value.len() as u64, self.max_value)?;
        self.inner()?.values.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StateError> {
        check_size(key, offset.saturating_add(len), self.max_value)?;
        let inner = self.inner()?;
        let value = inner.values.get(key).map(Vec::as_slice).unwrap_or_default();
        let mut out = vec![0u8; len as usize];
        let start = (offset as usize).min(value.len());
        let end = (offset.saturating_add(len) as usize).min(value.len());
        out[..end - start].copy_from_slice(&value[start..end]);
        Ok(out)
    }

    fn set_range(&self, key: &str, total: u64, offset: u64, data: &[u8]) -> Result<(), StateError> {
        let end = offset.saturating_add(data.len() as u64);
        check_size(key, total.max(end), self.max_value)?;
        let mut inner = self.inner()?;
        let value = inner.values.entry(key.to_owned()).or_default();
        let need = total.max(end) as usize;
        if value.len() < need {
            value.resize(need, 0);
        }
        value[offset as usize..end as usize].copy_from_slice(data);
        Ok(())
    }

    fn append(&self, key: &str, data: &[u8]) -> Result<(), StateError> {
        check_size(key, data.len() as u64, self.max_value)?;
        self.inner()?.appended.entry(key.to_owned()).or_default().push(data.to_vec());
        Ok(())
    }

    fn read_appended(&self, key: &str, n: u64) -> Result<Vec<Vec<u8>>, StateError> {
        let inner = self.inner()?;
        let all = inner.appended.get(key).map(Vec::as_slice).unwrap_or_default();
        if n != u64::MAX && (all.len() as u64) < n {
            return Err(StateError::NotEnoughAppended { key: key.to_owned(), wanted: n, have: all.len() as u64 });
        }
        Ok(all.iter().take(n.min(all.len() as u64) as usize).cloned().collect())
    }

    fn clear_appended(&self, key: &str) -> Result<(), StateError> {
        self.inner()?.appended.remove(key);
        Ok(())
    }

    fn push(&self, key: &str) -> Result<(), StateError> {
        check_size(key, 0, self.max_value)
    }

    fn pull(&self, key: &str, len: u64) -> Result<(), StateError> {
        check_size(key, len, self.max_value)
    }

    fn lock(&self, key: &str, kind: LockKind) -> Result<(), StateError> {
        let mut inner = self.inner()?;
        loop {
            let writer = inner.writers.get(key).copied().unwrap_or(false);
            let readers = inner.readers.get(key).copied().unwrap_or(0);
            let free = match kind {
                LockKind::Read => !writer,
                LockKind::Write => !writer && readers == 0,
            };
            if free {
                break;
            }
            inner = self.unlocked.wait(inner).map_err(|_| StateError::Backend("embedded store poisoned by a panic".into()))?;
        }
        match kind {
            LockKind::Read => *inner.readers.entry(key.to_owned()).or_default() += 1,
            LockKind::Write => {
                inner.writers.insert(key.to_owned(), true);
            }
        }
        Ok(())
    }

    fn unlock(&self, key: &str, kind: LockKind) -> Result<(), StateError> {
        let mut inner = self.inner()?;
        let held = match kind {
            LockKind::Read => match inner.readers.get_mut(key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    if *n == 0 {
                        inner.readers.remove(key);
                    }
                    true
                }
                _ => false,
            },
            LockKind::Write => inner.writers.remove(key).unwrap_or(false),
        };
        drop(inner);
        if !held {
            return Err(StateError::NotLocked { key: key.to_owned(), kind });
        }
        self.unlocked.notify_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn values_ranges_and_missing_keys() {
        let s = EmbeddedStore::new(100);
        assert_eq!(s.size("k").unwrap(), 0);
        assert_eq!(s.get("k").unwrap(), b"");
        assert_eq!(s.get_range("k", 2, 3).unwrap(), vec![0, 0, 0]);
        s.set("k", b"0123456789").unwrap();
        assert_eq!(s.size("k").unwrap(), 10);
        assert_eq!(s.get_range("k", 8, 4).unwrap(), b"89\0\0");
        s.set_range("k", 10, 2, b"999").unwrap();
        assert_eq!(s.get("k").unwrap(), b"0199956789");
        s.set_range("g", 6, 4, b"xy").unwrap();
        assert_eq!(s.get("g").unwrap(), b"\0\0\0\0xy");
        assert!(matches!(s.set("k", &[0; 101]), Err(StateError::TooLarge { size: 101, limit: 100, .. })));
        assert!(matches!(s.set_range("k", 101, 0, b"a"), Err(StateError::TooLarge { .. })));
        assert!(matches!(s.set("", b"a"), Err(StateError::EmptyKey)));
        assert_eq!(s.get("k").unwrap(), b"0199956789");
    }

    #[test]
    fn appended_lists_are_separate_from_values() {
        let s = EmbeddedStore::default();
        s.set("k", b"v").unwrap();
        s.append("k", b"a").unwrap();
        s.append("k", b"bc").unwrap();
        assert_eq!(s.get("k").unwrap(), b"v");
        assert_eq!(s.read_appended("k", 2).unwrap(), vec![b"a".to_vec(), b"bc".to_vec()]);
        assert_eq!(s.read_appended("k", 1).unwrap(), vec![b"a".to_vec()]);
        assert!(matches!(s.read_appended("k", 3), Err(StateError::NotEnoughAppended { have: 2, .. })));
        s.clear_appended("k").unwrap();
        assert_eq!(s.read_appended("k", u64::MAX).unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn write_lock_excludes_readers_and_writers() {
        let s = Arc::new(EmbeddedStore::default());
        s.lock("k", LockKind::Read).unwrap();
        s.lock("k", LockKind::Read).unwrap();
        let s2 = s.clone();
        let writer = std::thread::spawn(move || {
            s2.lock("k", LockKind::Write).unwrap();
            s2.set("k", b"written").unwrap();
            s2.unlock("k", LockKind::Write).unwrap();
        });
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(s.get("k").unwrap(), b"", "the writer waits for both readers");
        s.unlock("k", LockKind::Read).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(s.get("k").unwrap(), b"");
        s.unlock("k", LockKind::Read).unwrap();
        writer.join().unwrap();
        assert_eq!(s.get("k").unwrap(), b"written");
        assert!(matches!(s.unlock("k", LockKind::Read), Err(StateError::NotLocked { .. })));
        assert!(matches!(s.unlock("k", LockKind::Write), Err(StateError::NotLocked { .. })));
    }
}
