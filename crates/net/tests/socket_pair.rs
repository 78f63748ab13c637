//! Two TCP sockets joined in memory, with no `Network`: a socket needs only
//! its 4-tuple and a caller that carries its segments (as real bytes) and
//! wakes it when it asks.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};

use tlsim_net::tcp::{Event, Socket};
use tlsim_net::wire::tcp::{Packet, Repr, SeqNumber};
use tlsim_net::{State, TcpConfig};
use tlsim_sim::{Duration, Instant};

const CLIENT: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152);
const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 443);
const ONE_WAY: Duration = Duration::from_millis(5);
const MTU: u16 = 1500;

/// One end: its socket, what it reported, and what it read.
struct End {
    socket: Socket,
    events: Vec<Event>,
    received: Vec<u8>,
}

/// The two ends and the segments between them, each due at its arrival.
struct Pair {
    now: Instant,
    ends: [End; 2],
    /// `(arrival, index of the receiving end, segment bytes)`, in send order.
    wire: VecDeque<(Instant, usize, Vec<u8>)>,
}

impl Pair {
    fn new(config: TcpConfig) -> Self {
        let end = |socket| End {
            socket,
            events: Vec::new(),
            received: Vec::new(),
        };
        let mut client = Socket::new(CLIENT, SERVER, config);
        let mut server = Socket::new(SERVER, CLIENT, config);
        client.connect(SeqNumber(1_000), MTU);
        server.accept(SeqNumber(9_000), MTU);
        Pair {
            now: Instant::ZERO,
            ends: [end(client), end(server)],
            wire: VecDeque::new(),
        }
    }

    /// Pulls everything end `at` has to say: segments go on the wire as
    /// bytes, events are kept. An end reads what arrives at once; the client
    /// closes once connected (a CLOSE in SYN-SENT would drop the queued
    /// data, RFC 9293 §3.10.4), the server once the client has closed.
    fn pull(&mut self, at: usize) {
        let (from, to) = if at == 0 {
            (CLIENT, SERVER)
        } else {
            (SERVER, CLIENT)
        };
        loop {
            let end = &mut self.ends[at];
            if let Some(transmit) = end.socket.poll_transmit(self.now) {
                let mut bytes = vec![0; transmit.repr.buffer_len()];
                transmit.repr.emit(&mut bytes, *from.ip(), *to.ip());
                self.wire.push_back((self.now + ONE_WAY, 1 - at, bytes));
            } else if let Some(event) = end.socket.poll_event() {
                match event {
                    Event::Readable => {
                        end.socket.recv(Some(&mut end.received));
                    }
                    Event::Connected | Event::PeerClosed => end.socket.close(),
                    _ => {}
                }
                end.events.push(event);
            } else {
                break;
            }
        }
    }

    /// Runs until nothing is left to happen, at most `steps` inputs.
    fn run(&mut self, steps: usize) {
        for at in 0..2 {
            self.pull(at);
        }
        for _ in 0..steps {
            let arrival = self.wire.front().map(|(t, ..)| *t);
            let timeouts = self.ends.iter().map(|end| end.socket.poll_timeout());
            let (next_timeout, sleeper) = timeouts
                .enumerate()
                .filter_map(|(i, t)| Some((t?, i)))
                .min()
                .map_or((None, 0), |(t, i)| (Some(t), i));
            let segment_first = match (arrival, next_timeout) {
                (Some(a), Some(t)) => a <= t,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return,
            };
            if segment_first {
                let (at, to, bytes) = self.wire.pop_front().expect("a segment is due");
                self.now = at;
                let (src, dst) = if to == 1 {
                    (CLIENT, SERVER)
                } else {
                    (SERVER, CLIENT)
                };
                let packet = Packet::new_checked(&bytes[..]).expect("a whole segment");
                let repr = Repr::parse(&packet, *src.ip(), *dst.ip()).expect("checksum");
                self.ends[to].socket.handle_segment(at, &repr);
                self.pull(to);
            } else if let Some(t) = next_timeout {
                self.now = t;
                self.ends[sleeper].socket.handle_timeout(t);
                self.pull(sleeper);
            }
        }
        panic!("still running after {steps} steps");
    }

    /// The state changes end `at` reported, in order.
    fn states(&self, at: usize) -> Vec<(State, State)> {
        let changes = self.ends[at].events.iter();
        changes
            .filter_map(|e| match *e {
                Event::StateChanged { from, to } => Some((from, to)),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn two_sockets_connect_carry_data_and_close_with_no_network() {
    let mut pair = Pair::new(TcpConfig::default());
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(pair.ends[0].socket.send(&data), data.len());
    pair.run(10_000);

    let received = &pair.ends[1].received;
    assert_eq!(received.len(), data.len());
    assert!(*received == data, "every byte, once, in order");
    use State::*;
    assert_eq!(
        pair.states(0),
        [
            (Closed, SynSent),
            (SynSent, Established),
            (Established, FinWait1),
            (FinWait1, FinWait2),
            (FinWait2, TimeWait),
            (TimeWait, Closed),
        ]
    );
    assert_eq!(
        pair.states(1),
        [
            (Listen, SynReceived),
            (SynReceived, Established),
            (Established, CloseWait),
            (CloseWait, LastAck),
            (LastAck, Closed),
        ]
    );
    assert!(pair.ends[0].events.contains(&Event::Connected));
    assert!(pair.ends[1].events.contains(&Event::Accepted));
    assert!(pair.ends[1].events.contains(&Event::PeerClosed));
    for end in &pair.ends {
        assert!(end.socket.is_finished());
        assert_eq!(end.socket.poll_timeout(), None);
    }
}
