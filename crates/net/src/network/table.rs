//! Each host's table of sockets, keyed by local port and remote end: looked
//! up by hash, never iterated, so its order can never reach an output.

use core::hash::{BuildHasherDefault, Hasher};
use std::collections::HashMap;
use std::net::SocketAddrV4;

/// A fast, fixed (hence deterministic) hasher for the socket tables, which
/// are only ever looked up, never iterated.
#[derive(Default)]
pub(super) struct SocketKeyHasher(u64);

impl Hasher for SocketKeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    /// A folded multiply: every input bit reaches both the low bits (the
    /// bucket) and the high bits (the tag) of the hash.
    fn write_u64(&mut self, n: u64) {
        let product = u128::from(self.0 ^ n) * 0x51_7c_c1_b7_27_22_0a_95;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A host's sockets by [`socket_key`], as slab indices.
pub(super) type SocketTable = HashMap<u64, u32, BuildHasherDefault<SocketKeyHasher>>;

/// What tells a host's connections apart: its own port and the remote end
/// (its own address is the host's).
pub(super) fn socket_key(local_port: u16, remote: SocketAddrV4) -> u64 {
    (u64::from(local_port) << 48)
        | (u64::from(u32::from(*remote.ip())) << 16)
        | u64::from(remote.port())
}

#[cfg(test)]
mod tests {
    use core::hash::BuildHasher;
    use std::net::Ipv4Addr;

    use super::super::FIRST_EPHEMERAL_PORT;
    use super::*;

    /// Keys of one host's sockets often differ in one field only: the
    /// server's in the remote port, the client's in its own port (the top
    /// bits of the key). Either way they must spread over the buckets.
    #[test]
    fn socket_keys_that_differ_in_one_field_spread_over_buckets() {
        let server = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 443);
        let client = Ipv4Addr::new(10, 0, 0, 1);
        let hasher = BuildHasherDefault::<SocketKeyHasher>::default();
        let buckets = |keys: &mut dyn Iterator<Item = u64>| {
            let mut used: Vec<u64> = keys.map(|k| hasher.hash_one(k) & 1023).collect();
            used.sort_unstable();
            used.dedup();
            used.len()
        };
        let ports = || FIRST_EPHEMERAL_PORT..FIRST_EPHEMERAL_PORT + 1024;
        let client_side = buckets(&mut ports().map(|p| socket_key(p, server)));
        let server_side =
            buckets(&mut ports().map(|p| socket_key(443, SocketAddrV4::new(client, p))));
        // 1,024 random keys in 1,024 buckets fill about 647 of them.
        assert!(
            client_side > 550,
            "client keys fill {client_side} of 1024 buckets"
        );
        assert!(
            server_side > 550,
            "server keys fill {server_side} of 1024 buckets"
        );
    }
}
