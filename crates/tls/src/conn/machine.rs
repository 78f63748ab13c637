//! Declared handshake transitions.
//!
//! Each actor lists once, in a const [`Declaration`], which input moves
//! which of its states to which. The connection checks every step it takes
//! against that list in debug builds: a step that is not declared is a bug
//! of the actor, and panics naming the step. The same list renders as
//! Graphviz ([`Declaration::to_dot`]) and as a Markdown table
//! ([`Declaration::to_markdown`]) for the documentation.
//!
//! Two states belong to the record layer and have no handler of their own:
//! [`CLOSED`], once the peer's close_notify is read (RFC 5246 §7.2.1:
//! nothing after it is read), and [`FAILED`], once any error ended the
//! connection (RFC 5246 §7.2.2: errors are fatal).

use std::fmt::Write;

use super::State;
use crate::enums::HandshakeType;

/// The name of the state after the peer's close_notify.
pub const CLOSED: &str = "Closed";
/// The name of the state after any error.
pub const FAILED: &str = "Failed";

/// What moves a handshake state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The side that speaks first begins (`Connection::start`).
    Start,
    /// This end begins a renegotiation (`Connection::renegotiate`).
    Renegotiate,
    /// The peer refused the renegotiation this end began, with a warning
    /// no_renegotiation (RFC 5246 §7.2.2).
    RenegotiationRefused,
    /// A handshake message of this type was read.
    Handshake(HandshakeType),
    /// A ChangeCipherSpec record was read (RFC 5246 §7.1).
    ChangeCipherSpec,
    /// The peer's close_notify alert was read.
    CloseNotify,
    /// Any error: a malformed, unexpected or unauthentic record, a check
    /// that failed, or a fatal alert from the peer.
    Failure,
}

impl Trigger {
    /// How renderings label the trigger ("Server Hello", "close_notify").
    pub fn label(self) -> String {
        match self {
            Trigger::Start => "start".to_owned(),
            Trigger::Renegotiate => "renegotiate".to_owned(),
            Trigger::RenegotiationRefused => "no_renegotiation".to_owned(),
            Trigger::Handshake(typ) => match typ.name() {
                Some(name) => name.to_owned(),
                None => format!("Handshake Type {}", typ.get()),
            },
            Trigger::ChangeCipherSpec => "Change Cipher Spec".to_owned(),
            Trigger::CloseNotify => "close_notify".to_owned(),
            Trigger::Failure => "error".to_owned(),
        }
    }
}

/// The stable names of one actor's states.
pub trait StateName: Copy + PartialEq + Sync + 'static {
    /// The state's name, as its handler reports it ([`State::name`]).
    fn name(self) -> &'static str;
}

/// One declared row: in state `from`, `on` leads to one of `to`.
#[derive(Clone, Copy, Debug)]
pub struct Transition<S: 'static> {
    /// The state the step starts in.
    pub from: S,
    /// What moves it.
    pub on: Trigger,
    /// The states it may lead to, depending on what the input says.
    pub to: &'static [S],
}

/// One actor's states and every transition between them.
#[derive(Debug)]
pub struct Declaration<S: 'static> {
    /// The actor's name, for diagnostics and the graph's title.
    pub actor: &'static str,
    /// Every state, in the order renderings list them.
    pub states: &'static [S],
    /// Every legal step; a (state, trigger) pair appears in one row at most.
    pub transitions: &'static [Transition<S>],
}

impl<S: StateName> Declaration<S> {
    /// Every edge, one per target of each row, in row order; the index of
    /// an edge here is what [`edge`](Transitions::edge) returns.
    pub fn edges(&self) -> impl Iterator<Item = (S, Trigger, S)> + '_ {
        self.transitions
            .iter()
            .flat_map(|t| t.to.iter().map(move |&to| (t.from, t.on, to)))
    }

    /// Checks the declaration itself: state names are distinct, each state
    /// has a transition, every row names listed states, no (state, trigger) pair has two rows, and the
    /// edges fit the connection's record of them.
    ///
    /// # Errors
    /// The first problem found, described.
    pub fn validate(&self) -> Result<(), String> {
        for (i, state) in self.states.iter().enumerate() {
            if self.states[..i].iter().any(|s| s.name() == state.name()) {
                return Err(format!(
                    "{}: state {} listed twice",
                    self.actor,
                    state.name()
                ));
            }
            if !self
                .edges()
                .any(|(from, _, to)| from == *state || to == *state)
            {
                return Err(format!(
                    "{}: state {} has no transition",
                    self.actor,
                    state.name()
                ));
            }
        }
        for (i, t) in self.transitions.iter().enumerate() {
            if let Some(unknown) = std::iter::once(&t.from)
                .chain(t.to)
                .find(|s| !self.states.contains(s))
            {
                return Err(format!("{}: {} is not listed", self.actor, unknown.name()));
            }
            if self.transitions[..i]
                .iter()
                .any(|u| u.from == t.from && u.on == t.on)
            {
                return Err(format!(
                    "{}: two rows for {} on {:?}",
                    self.actor,
                    t.from.name(),
                    t.on
                ));
            }
        }
        if self.edge_count() > 64 {
            return Err(format!("{}: more than 64 edges", self.actor));
        }
        Ok(())
    }

    /// The graph in Graphviz dot: failures dashed, close_notify dotted.
    pub fn to_dot(&self) -> String {
        let mut dot = String::new();
        let _ = writeln!(
            dot,
            "// Generated from the transition table of {}.",
            self.actor
        );
        let _ = writeln!(dot, "digraph \"{}\" {{", self.actor);
        dot.push_str("    node [shape=box, fontname=\"Helvetica\"];\n");
        dot.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");
        for state in self.states {
            let name = state.name();
            let shape = if name == CLOSED || name == FAILED {
                " [shape=doubleoctagon]"
            } else {
                ""
            };
            let _ = writeln!(dot, "    {name}{shape};");
        }
        for (from, on, to) in self.edges() {
            let style = match on {
                Trigger::Failure => ", style=dashed",
                Trigger::CloseNotify => ", style=dotted",
                _ => "",
            };
            let _ = writeln!(
                dot,
                "    {} -> {} [label=\"{}\"{style}];",
                from.name(),
                to.name(),
                on.label()
            );
        }
        dot.push_str("}\n");
        dot
    }

    /// The table in Markdown: one line per row.
    pub fn to_markdown(&self) -> String {
        let mut md = String::from("| state | on | next |\n|---|---|---|\n");
        for t in self.transitions {
            let to: Vec<String> = t.to.iter().map(|s| format!("`{}`", s.name())).collect();
            let _ = writeln!(
                md,
                "| `{}` | {} | {} |",
                t.from.name(),
                t.on.label(),
                to.join(" or ")
            );
        }
        md
    }
}

/// A declaration with its state type erased, as a connection holds it.
pub trait Transitions: Sync {
    /// The actor's name.
    fn actor(&self) -> &'static str;
    /// The index of the edge `from --on--> to` in
    /// [`Declaration::edges`], if declared.
    fn edge(&self, from: &str, on: Trigger, to: &str) -> Option<usize>;
    /// How many edges there are.
    fn edge_count(&self) -> usize;
}

impl<S: StateName> Transitions for Declaration<S> {
    fn actor(&self) -> &'static str {
        self.actor
    }

    fn edge(&self, from: &str, on: Trigger, to: &str) -> Option<usize> {
        self.edges()
            .position(|(f, o, t)| o == on && f.name() == from && t.name() == to)
    }

    fn edge_count(&self) -> usize {
        self.edges().count()
    }
}

/// Declares an enum of state names with its [`StateName`] impl (each
/// state named as its variant) and `ALL`, every variant in order.
#[macro_export]
macro_rules! state_names {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every state, in declaration order.
            $vis const ALL: &'static [$name] = &[$($name::$variant),+];
        }

        impl $crate::conn::StateName for $name {
            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)+
                }
            }
        }
    };
}

/// The rows of a [`Declaration`], one per `from, on => to | to;` line,
/// with the state names and triggers in scope.
#[macro_export]
macro_rules! transitions {
    ($($from:ident, $on:expr => $($to:ident)|+;)+) => {
        &[$($crate::conn::Transition { from: $from, on: $on, to: &[$($to),+] }),+]
    };
}

/// The current handshake state, checked against its actor's declaration.
pub(super) struct Machine {
    /// `None` only while a handler runs, and after one failed.
    pub(super) state: Option<Box<dyn State>>,
    /// The current state's name; it outlives a handler that consumed the
    /// state and failed.
    current: &'static str,
    declared: &'static dyn Transitions,
    /// Bit `i` is set once edge `i` was taken (debug builds only).
    taken: u64,
}

impl Machine {
    pub(super) fn new(first: Box<dyn State>, declared: &'static dyn Transitions) -> Self {
        debug_assert!(
            declared.edge_count() <= 64,
            "{}: the taken edges are kept in a u64, so at most 64 may be declared",
            declared.actor()
        );
        Machine {
            current: first.name(),
            state: Some(first),
            declared,
            taken: 0,
        }
    }

    /// Records a step to the state named `to`. In debug builds, a step the
    /// declaration does not list panics: the table must name every
    /// transition the handlers take.
    pub(super) fn step(&mut self, on: Trigger, to: &'static str) {
        if cfg!(debug_assertions) {
            let edge = self.declared.edge(self.current, on, to);
            assert!(
                edge.is_some(),
                "{}: the step {} --{:?}--> {} is not declared; every state change must be \
                 listed in the actor's transition table",
                self.declared.actor(),
                self.current,
                on,
                to
            );
            if let Some(edge) = edge {
                self.taken |= 1 << edge;
            }
        }
        self.current = to;
    }

    /// Moves to `next` on `on`.
    pub(super) fn enter(&mut self, on: Trigger, next: Box<dyn State>) {
        self.step(on, next.name());
        self.state = Some(next);
    }

    /// The current state's name.
    pub(super) fn current(&self) -> &'static str {
        self.current
    }

    /// The indices of the edges taken so far.
    pub(super) fn taken(&self) -> impl Iterator<Item = usize> + '_ {
        (0..64).filter(|i| self.taken & (1 << i) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::{Core, Input};
    use crate::error::Error;
    use tlsim_sim::{Instant, Tracer};

    crate::state_names! {
        enum Light {
            Red,
            Green,
            Failed,
        }
    }

    use Light::{Failed, Green, Red};

    static LIGHTS: Declaration<Light> = Declaration {
        actor: "light",
        states: Light::ALL,
        transitions: crate::transitions![
            Red, Trigger::Start => Green;
            Green, Trigger::Handshake(HandshakeType::Finished) => Green | Red;
            Green, Trigger::Failure => Failed;
        ],
    };

    struct RedLight;

    impl State for RedLight {
        fn name(&self) -> &'static str {
            Light::Red.name()
        }

        fn handle(
            self: Box<Self>,
            _core: &mut Core,
            _input: Input<'_>,
            _now: Instant,
            _tracer: &mut dyn Tracer,
        ) -> Result<Box<dyn State>, Error> {
            Ok(self)
        }
    }

    #[test]
    fn edges_are_numbered_one_per_target_in_row_order() {
        assert_eq!(LIGHTS.edge_count(), 4);
        let finished = Trigger::Handshake(HandshakeType::Finished);
        assert_eq!(LIGHTS.edge("Green", finished, "Red"), Some(2));
        assert_eq!(LIGHTS.edge("Red", finished, "Green"), None);
        assert_eq!(LIGHTS.validate(), Ok(()));
    }

    #[test]
    fn validate_rejects_two_rows_for_one_state_and_trigger() {
        let mut rows = LIGHTS.transitions.to_vec();
        rows.push(rows[0]);
        let twice = Declaration {
            actor: "light",
            states: LIGHTS.states,
            transitions: rows.leak(),
        };
        assert_eq!(
            twice.validate(),
            Err("light: two rows for Red on Start".into())
        );
    }

    #[test]
    fn declared_steps_are_recorded() {
        let mut machine = Machine::new(Box::new(RedLight), &LIGHTS);
        machine.step(Trigger::Start, "Green");
        machine.step(Trigger::Failure, FAILED);
        assert_eq!(machine.current(), FAILED);
        let taken: Vec<usize> = machine.taken().collect();
        let expected: &[usize] = if cfg!(debug_assertions) { &[0, 3] } else { &[] };
        assert_eq!(taken, expected);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "light: the step Red --ChangeCipherSpec--> Green is not declared")]
    fn an_undeclared_step_panics_in_debug_builds() {
        let mut machine = Machine::new(Box::new(RedLight), &LIGHTS);
        machine.step(Trigger::ChangeCipherSpec, "Green");
    }

    #[test]
    fn dot_draws_failures_dashed() {
        let dot = LIGHTS.to_dot();
        assert!(
            dot.contains("    Green -> Failed [label=\"error\", style=dashed];\n"),
            "{dot}"
        );
        assert!(dot.contains("    Failed [shape=doubleoctagon];\n"), "{dot}");
        assert!(
            LIGHTS
                .to_markdown()
                .contains("| `Green` | Finished | `Green` or `Red` |")
        );
    }
}
