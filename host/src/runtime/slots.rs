//! Who may hold a WebSocket open: at most `--max-websockets` across the workers, and at
//! most `--max-websockets-per-ip` per client address, counted when the handler accepts the
//! upgrade (one atomic step: two upgrades at once cannot both take the last place) and
//! given back when the connection ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The places for open WebSockets.
pub struct WebSocketSlots {
    open: AtomicUsize,
    max: usize,
    by_address: Mutex<HashMap<IpAddr, usize>>,
    max_per_address: usize,
}

/// A WebSocket's place, given back when dropped.
pub struct WebSocketSlot {
    slots: Arc<WebSocketSlots>,
    address: IpAddr,
}

/// Why an upgrade found no place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRefusal {
    /// `--max-websockets` are open.
    Full(usize),
    /// The client's address has `--max-websockets-per-ip` open.
    AddressFull(usize),
}

impl std::fmt::Display for SlotRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full(max) => write!(f, "{max} WebSockets are open (--max-websockets)"),
            Self::AddressFull(max) => write!(
                f,
                "the client's address has {max} WebSockets open (--max-websockets-per-ip)"
            ),
        }
    }
}

impl WebSocketSlots {
    /// Places for `max` WebSockets, `max_per_address` per client address.
    pub fn new(max: usize, max_per_address: usize) -> Self {
        Self {
            open: AtomicUsize::new(0),
            max,
            by_address: Mutex::default(),
            max_per_address,
        }
    }

    /// A place for a WebSocket of a client at `address`, if one is free.
    pub fn reserve(self: &Arc<Self>, address: IpAddr) -> Result<WebSocketSlot, SlotRefusal> {
        let mut by_address = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        let held = by_address.entry(address).or_default();
        if *held >= self.max_per_address {
            return Err(SlotRefusal::AddressFull(self.max_per_address));
        }
        let taken = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            });
        if taken.is_err() {
            return Err(SlotRefusal::Full(self.max));
        }
        *held += 1;
        Ok(WebSocketSlot {
            slots: self.clone(),
            address,
        })
    }

    /// WebSockets open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

impl Drop for WebSocketSlot {
    fn drop(&mut self) {
        let slots = &self.slots;
        slots.open.fetch_sub(1, Ordering::AcqRel);
        let mut by_address = slots.by_address.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = by_address.get_mut(&self.address) {
            *held -= 1;
            if *held == 0 {
                by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_in_all_and_per_address_and_given_back() {
        let slots = Arc::new(WebSocketSlots::new(3, 2));
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let first = slots.reserve(a).unwrap();
        let _second = slots.reserve(a).unwrap();
        assert_eq!(slots.reserve(a).err(), Some(SlotRefusal::AddressFull(2)));
        let _third = slots.reserve(b).unwrap();
        assert_eq!(slots.reserve(b).err(), Some(SlotRefusal::Full(3)));
        drop(first);
        assert_eq!(slots.open(), 2);
        assert!(slots.reserve(a).is_ok());
    }
}
