//! Reading a scenario file: syntax, names, and the checks serde cannot make.
//!
//! Every error carries the file, line and column, names the value at fault
//! and says what was expected. Checks of one value are made while it is read
//! (see [`crate::units`]); checks that need several are made afterwards and
//! placed by their path into the text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::path::Path;

use ron::extensions::Extensions;

use crate::locate::{self, at};
use crate::names::{Declared, with_declared};
use crate::schema::{
    Action, Cert, DistinguishedName, KeyKind, PinnedTicket, Scenario, TcpSettings, TlsClient,
};
use crate::units::Time;
use tlsim_tls::crypto::sign::KeyType;

/// A scenario that could not be read or does not make sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as given.
    pub file: String,
    /// Line, from 1 (0 when the error is about the file as a whole).
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

impl std::error::Error for ScenarioError {}

/// The largest scenario file read: far more than any scenario needs, and a
/// bound on what a mistaken path (a device, a disk image) can cost.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads and validates the scenario at `path`, and checks that the key
/// files it names (relative to its folder) can be read and used.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let whole_file = |message: String| ScenarioError {
        file: file.clone(),
        line: 0,
        col: 0,
        message,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| whole_file(format!("cannot read the scenario: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(whole_file(format!(
            "the scenario is larger than {} MiB: expected a smaller file",
            MAX_FILE_BYTES >> 20
        )));
    }
    let source = String::from_utf8(bytes).map_err(|e| {
        let (line, col) = line_col(
            &String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
            usize::MAX,
        );
        ScenarioError {
            file: file.clone(),
            line,
            col,
            message: "the scenario is not UTF-8 text".into(),
        }
    })?;
    let scenario = parse(&source, &file)?;
    let base = path.parent().unwrap_or(Path::new("."));
    check_pki_files(&scenario, base).map_err(|e| positioned(e, &source, &file))?;
    Ok(scenario)
}

fn ron_options() -> ron::Options {
    // `implicit_some` lets a file write `reverse: (latency: "5ms")` instead of
    // `reverse: Some((latency: "5ms"))`.
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let from_ron = |e: ron::error::SpannedError| {
        let offset = value_start(
            source,
            offset_of(source, e.span.start.line, e.span.start.col),
        );
        let (line, col) = line_col(source, offset);
        ScenarioError {
            file: file.to_string(),
            line,
            col,
            message: shortened(describe_ron_error(&e.code, found_at(source, offset))),
        }
    };
    // Pass 1: syntax, shape and single values, with names unchecked.
    let draft: Scenario = ron_options().from_str(source).map_err(from_ron)?;
    check_unique(&draft, source).map_err(|e| positioned(e, source, file))?;
    let declared = Declared {
        hosts: draft.hosts.iter().map(|h| h.name.clone()).collect(),
        conns: draft
            .timeline
            .iter()
            .filter_map(|step| match &step.1 {
                Action::Connect { conn, .. } => Some(conn.0.clone()),
                _ => None,
            })
            .collect(),
        keys: draft.pki.keys.iter().map(|k| k.name.clone()).collect(),
        certs: draft
            .pki
            .certificates
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        tls_clients: draft.tls.clients.iter().map(|c| c.name.clone()).collect(),
        tls_servers: draft.tls.servers.iter().map(|c| c.name.clone()).collect(),
    };
    // A large file is held once, not twice.
    drop(draft);
    // Pass 2: the same text with every reference checked where it stands.
    let scenario: Scenario =
        with_declared(declared, || ron_options().from_str(source)).map_err(from_ron)?;
    validate(&scenario).map_err(|e| positioned(e, source, file))?;
    Ok(scenario)
}

/// A check that failed: where (a path into the file) and what.
type Invalid = (locate::Path, String);

fn positioned((path, message): Invalid, source: &str, file: &str) -> ScenarioError {
    let (line, col) = locate::locate(source, &path).map_or((0, 0), |at| line_col(source, at));
    ScenarioError {
        file: file.to_string(),
        line,
        col,
        message: shortened(message),
    }
}

/// A message cut to a few lines: it quotes values, and a value may be huge.
fn shortened(mut message: String) -> String {
    const MAX: usize = 800;
    if message.len() > MAX {
        let mut cut = MAX;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str(" …");
    }
    message
}

/// ron's own messages, with the expected form spelled out and the text found.
fn describe_ron_error(code: &ron::Error, found: &str) -> String {
    let expected = |form: &str| format!("expected {form}, found {found}");
    match code {
        ron::Error::Message(m) => m.clone(),
        ron::Error::ExpectedString | ron::Error::ExpectedStringEnd => {
            expected("a string in double quotes such as \"client\"")
        }
        ron::Error::ExpectedBoolean => expected("true or false"),
        ron::Error::ExpectedInteger | ron::Error::IntegerOutOfBounds => {
            expected("a whole number such as 80")
        }
        ron::Error::ExpectedFloat => expected("a number such as 0.05"),
        ron::Error::ExpectedArray => expected("a list in brackets such as [\"a\", \"b\"]"),
        ron::Error::ExpectedMap => expected("a map in braces such as {\"Len\": \"0\"}"),
        ron::Error::ExpectedStructLike | ron::Error::ExpectedNamedStructLike(_) => {
            expected("fields in parentheses such as (latency: \"10ms\")")
        }
        ron::Error::InvalidValueForType { expected, found } => {
            format!("expected {expected}, found {found}")
        }
        ron::Error::NoSuchEnumVariant {
            expected, found, ..
        } => format!("unknown name `{found}`: expected {}", one_of(expected)),
        ron::Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => match outer {
            Some(outer) => format!(
                "unknown field `{found}` in `{outer}`: expected {}",
                one_of(expected)
            ),
            None => format!("unknown field `{found}`: expected {}", one_of(expected)),
        },
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(outer) => format!("`{outer}` needs `{field}`, which it does not give"),
            None => format!("`{field}` is missing here"),
        },
        ron::Error::DuplicateStructField { field, outer } => match outer {
            Some(outer) => format!("`{field}` is given twice in one `{outer}`"),
            None => format!("`{field}` is given twice"),
        },
        ron::Error::ExceededRecursionLimit => {
            format!("{code}: the scenario nests deeper than any scenario needs")
        }
        other => format!("{other} (found {found})"),
    }
}

/// `names` as a choice: "`a`", "`a` or `b`", "one of `a`, `b` or `c`".
fn one_of(names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, [one])) => format!("{one} or {last}"),
        Some((last, rest)) => format!("one of {} or {last}", rest.join(", ")),
        None => "nothing here".into(),
    }
}

/// Where the value starts that an error ron reports at `offset` is about:
/// ron points at the blank before a value, or just inside its opening quote.
fn value_start(source: &str, offset: usize) -> usize {
    let rest = source.get(offset..).unwrap_or("");
    let offset = offset + (rest.len() - rest.trim_start().len());
    if offset > 0 && source.as_bytes().get(offset - 1) == Some(&b'"') {
        offset - 1
    } else {
        offset
    }
}

/// The text that starts at `offset`, up to the end of its token, for messages.
fn found_at(source: &str, offset: usize) -> &str {
    let rest = source.get(offset..).unwrap_or("");
    if rest.is_empty() {
        return "the end of the file";
    }
    let end = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.find('"').map_or(rest.len(), |i| i + 2)
    } else {
        rest.find(|c: char| c.is_whitespace() || ",)]}:".contains(c))
            .filter(|end| *end > 0)
            .unwrap_or(rest.len().min(1))
    };
    let mut cut = end.min(60);
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    &rest[..cut]
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The byte offset of a line and column (both from 1), as ron counts them.
fn offset_of(source: &str, line: usize, col: usize) -> usize {
    let line_start: usize = (source.split_inclusive('\n'))
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let in_line = source[line_start..]
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(source.len() - line_start, |(i, _)| i);
    line_start + in_line
}

/// The line and column of the value at `path`.
fn line_col_of(source: &str, path: &locate::Path) -> (usize, usize) {
    locate::locate(source, path).map_or((0, 0), |at| line_col(source, at))
}

/// Finds the first name given twice among `names`, each at its path, and
/// reports it where it is given the second time, with both lines (and
/// columns, when both are on one line).
fn first_repeat<K: Ord>(
    source: &str,
    names: impl Iterator<Item = (K, locate::Path)>,
    message: impl Fn(&K) -> String,
) -> Result<(), Invalid> {
    let mut seen: BTreeMap<K, locate::Path> = BTreeMap::new();
    for (name, path) in names {
        if let Some(first) = seen.get(&name) {
            let (a, b) = (line_col_of(source, first), line_col_of(source, &path));
            let place = if a.0 == b.0 {
                format!("line {}, columns {} and {}", a.0, a.1, b.1)
            } else {
                format!("lines {} and {}", a.0, b.0)
            };
            return Err((path, format!("{} ({place})", message(&name))));
        }
        seen.insert(name, path);
    }
    Ok(())
}

/// Every name is defined once, and so is every address, link and listener.
fn check_unique(s: &Scenario, source: &str) -> Result<(), Invalid> {
    let hosts = at(&["hosts"]);
    let each_host = || s.hosts.iter().enumerate();
    first_repeat(
        source,
        each_host().map(|(i, h)| (&h.name, hosts.index(i).field("name"))),
        |name| format!("host {name:?} is defined twice"),
    )?;
    first_repeat(
        source,
        each_host().map(|(i, h)| (h.addr, hosts.index(i).field("addr"))),
        |addr| format!("address {addr} is given to two hosts"),
    )?;
    let links = at(&["links"]);
    first_repeat(
        source,
        s.links.iter().enumerate().map(|(i, l)| {
            let (a, b) = (l.between.0.0.clone(), l.between.1.0.clone());
            (
                if a < b { (a, b) } else { (b, a) },
                links.index(i).field("between"),
            )
        }),
        |(a, b)| format!("hosts {a:?} and {b:?} are joined by two links"),
    )?;
    let listen = at(&["listen"]);
    first_repeat(
        source,
        s.listen
            .iter()
            .enumerate()
            .map(|(i, l)| ((l.host.0.clone(), l.port), listen.index(i))),
        |(host, port)| format!("{host:?} listens on port {port} twice"),
    )?;
    let keys = at(&["pki", "keys"]);
    first_repeat(
        source,
        s.pki
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (&k.name, keys.index(i).field("name"))),
        |name| format!("key {name:?} is defined twice"),
    )?;
    let certs = at(&["pki", "certificates"]);
    first_repeat(
        source,
        (s.pki.certificates.iter().enumerate())
            .map(|(i, c)| (&c.name, certs.index(i).field("name"))),
        |name| format!("certificate {name:?} is defined twice"),
    )?;
    let clients = at(&["tls", "clients"]);
    first_repeat(
        source,
        (s.tls.clients.iter().enumerate()).map(|(i, c)| (&c.name, clients.index(i).field("name"))),
        |name| format!("TLS client profile {name:?} is defined twice"),
    )?;
    let servers = at(&["tls", "servers"]);
    first_repeat(
        source,
        (s.tls.servers.iter().enumerate()).map(|(i, c)| (&c.name, servers.index(i).field("name"))),
        |name| format!("TLS server profile {name:?} is defined twice"),
    )?;
    let timeline = at(&["timeline"]);
    first_repeat(
        source,
        s.timeline
            .iter()
            .enumerate()
            .filter_map(|(i, step)| match &step.1 {
                Action::Connect { conn, .. } => {
                    Some((&conn.0, timeline.index(i).index(1).field("conn")))
                }
                _ => None,
            }),
        |name| format!("connection {name:?} is defined twice"),
    )
}

/// Checks that every key and certificate file can be read and holds what
/// it should, that a file certificate's `key` is its key, and that a
/// server's or client's key is its leaf certificate's.
fn check_pki_files(s: &Scenario, base: &Path) -> Result<(), Invalid> {
    let mut public_keys = BTreeMap::new();
    let mut key_types = BTreeMap::new();
    for (i, key) in s.pki.keys.iter().enumerate() {
        let key_type = match &key.kind {
            KeyKind::RsaPem(file) | KeyKind::File(file) => {
                let read = crate::pki::read_key_file(base, file)
                    .map_err(|e| (at(&["pki", "keys"]).index(i).field("kind"), e))?;
                public_keys.insert(key.name.as_str(), read.public_key());
                read.key_type()
            }
            KeyKind::P256 | KeyKind::P256Scalar(_) => KeyType::EcdsaP256,
            KeyKind::P384 => KeyType::EcdsaP384,
            KeyKind::Ed25519 => KeyType::Ed25519,
        };
        key_types.insert(key.name.as_str(), key_type);
    }
    let mut leaf_keys = BTreeMap::new();
    for (i, cert) in s.pki.certificates.iter().enumerate() {
        let Some(file) = &cert.file else { continue };
        let file_at = at(&["pki", "certificates"]).index(i).field("file");
        let ders = crate::pki::read_cert_file(base, file).map_err(|e| (file_at, e))?;
        let leaf = tlsim_tls::cert::Certificate::parse(&ders[0])
            .expect("read_cert_file parsed every certificate");
        if let Some(key) = &cert.key {
            if public_keys
                .get(key.0.as_str())
                .is_some_and(|k| *k != leaf.public_key)
            {
                return Err((
                    at(&["pki", "certificates"]).index(i).field("key"),
                    format!(
                        "key {:?} is not the key of the first certificate in {file:?}",
                        key.0
                    ),
                ));
            }
        }
        leaf_keys.insert(cert.name.as_str(), leaf.public_key);
    }
    for (i, server) in s.tls.servers.iter().enumerate() {
        let Some(leaf) = (server.chain.first()).and_then(|c| leaf_keys.get(c.0.as_str())) else {
            continue;
        };
        let key_at = || at(&["tls", "servers"]).index(i).field("key");
        let (key, chain) = (&server.key.0, &server.chain[0].0);
        // A capture replayed from its key log: the pinned signature and
        // master secret stand for every use of the real key, so a key of
        // the certificate's type stands in for it (and decides the suites).
        let stand_in = server.pins.signature.is_some() || server.pins.master_secret.is_some();
        // RSA signatures are as long as the modulus, Ed25519 ones 64 bytes
        // (RFC 8017 §8.1.1, RFC 8032 §5.1.6); ECDSA's DER varies.
        let signature_len = match leaf.key_type() {
            KeyType::Rsa => Some(leaf.bits() / 8),
            KeyType::Ed25519 => Some(64),
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => None,
        };
        if let (Some(signature), Some(len)) = (&server.pins.signature, signature_len)
            && signature.len() != len
        {
            return Err((
                at(&["tls", "servers"])
                    .index(i)
                    .field("pins")
                    .field("signature"),
                format!(
                    "signature is {} bytes: the {} key of {chain:?}'s leaf signs {len}",
                    signature.len(),
                    leaf.key_type()
                ),
            ));
        }
        if stand_in {
            if let Some(&key_type) = key_types.get(key.as_str())
                && key_type != leaf.key_type()
            {
                return Err((
                    key_at(),
                    format!(
                        "TLS server {:?}: key {key:?} stands in for the key of {chain:?}'s leaf \
                         (the server's signature or master secret is pinned), so it must be of \
                         the same type: {}, not {key_type}",
                        server.name,
                        leaf.key_type(),
                    ),
                ));
            }
        } else if let Some(public_key) = public_keys.get(key.as_str())
            && public_key != leaf
        {
            return Err((
                key_at(),
                format!(
                    "TLS server {:?}: key {key:?} does not match the leaf certificate of \
                     {chain:?} (pin the server's signature or master_secret to let another key \
                     of the same type stand in)",
                    server.name
                ),
            ));
        }
    }
    for (i, client) in s.tls.clients.iter().enumerate() {
        let leaf = (client.chain.first()).and_then(|c| leaf_keys.get(c.0.as_str()));
        let key = (client.key.as_ref()).and_then(|k| public_keys.get(k.0.as_str()));
        if let (Some(leaf), Some(key)) = (leaf, key)
            && leaf != key
        {
            return Err((
                at(&["tls", "clients"]).index(i).field("key"),
                format!(
                    "TLS client {:?}: its key does not match the leaf certificate of {:?}",
                    client.name, client.chain[0].0
                ),
            ));
        }
    }
    Ok(())
}

/// Every set of TCP settings in the file: the scenario's (`None`), then each
/// host's own (`Some(index)`).
fn tcp_layers(s: &Scenario) -> Vec<(Option<usize>, &TcpSettings)> {
    std::iter::once((None, &s.tcp))
        .chain((s.hosts.iter().enumerate()).filter_map(|(i, h)| Some((Some(i), h.tcp.as_ref()?))))
        .collect()
}

fn tcp_path(host: Option<usize>, field: &'static str) -> locate::Path {
    match host {
        None => at(&["tcp", field]),
        Some(i) => at(&["hosts"]).index(i).field("tcp").field(field),
    }
}

/// Durations with bounds of their own, beyond [`Time::MAX`].
fn validate_times(s: &Scenario) -> Result<(), Invalid> {
    let ms = |n| Time(tlsim_sim::Duration::from_millis(n));
    for (host, t) in tcp_layers(s) {
        // RFC 1122 §4.2.3.2: an ACK "MUST NOT be excessively delayed; in
        // particular, the delay MUST be less than 0.5 seconds."
        if let Some(delay) = t.delayed_ack.filter(|d| *d > ms(500)) {
            return Err((
                tcp_path(host, "delayed_ack"),
                format!(
                    "delayed_ack {delay} is too long: expected \"0\" (off) to \"500ms\" (RFC 1122 §4.2.3.2)"
                ),
            ));
        }
        for (field, value) in [
            ("initial_rto", t.initial_rto),
            ("min_rto", t.min_rto),
            ("max_rto", t.max_rto),
        ] {
            if let Some(rto) = value.filter(|v| *v < ms(1)) {
                return Err((
                    tcp_path(host, field),
                    format!("{field} {rto} is too short: expected \"1ms\" to \"168h\""),
                ));
            }
        }
    }
    let defaults = tlsim_net::TcpConfig::default();
    let min = s.tcp.min_rto.map_or(defaults.min_rto, |t| t.0);
    let max = s.tcp.max_rto.map_or(defaults.max_rto, |t| t.0);
    if min > max {
        let field = if s.tcp.min_rto.is_some() {
            "min_rto"
        } else {
            "max_rto"
        };
        return Err((
            at(&["tcp", field]),
            format!(
                "min_rto {} is above max_rto {}: expected min_rto <= max_rto",
                Time(min),
                Time(max)
            ),
        ));
    }
    // Each host's own settings apply over the scenario's.
    for (i, own) in (s.hosts.iter().enumerate()).filter_map(|(i, h)| Some((i, h.tcp.as_ref()?))) {
        let min = own
            .min_rto
            .or(s.tcp.min_rto)
            .map_or(defaults.min_rto, |t| t.0);
        let max = own
            .max_rto
            .or(s.tcp.max_rto)
            .map_or(defaults.max_rto, |t| t.0);
        if min > max {
            let field = if own.min_rto.is_some() {
                "min_rto"
            } else {
                "max_rto"
            };
            return Err((
                tcp_path(Some(i), field),
                format!(
                    "min_rto {} is above max_rto {} for host {:?}: expected min_rto <= max_rto",
                    Time(min),
                    Time(max),
                    s.hosts[i].name
                ),
            ));
        }
    }
    if s.limits.max_time < ms(1) {
        return Err((
            at(&["limits", "max_time"]),
            format!(
                "max_time {} is too short: expected \"1ms\" to \"168h\"",
                s.limits.max_time
            ),
        ));
    }
    Ok(())
}

/// Checks that need more than one value at a time.
fn validate(s: &Scenario) -> Result<(), Invalid> {
    if s.hosts.is_empty() {
        return Err((at(&["hosts"]), "a scenario needs at least one host".into()));
    }
    validate_times(s)?;

    let mut linked = BTreeSet::new();
    for (index, link) in s.links.iter().enumerate() {
        let link_at = at(&["links"]).index(index);
        let (a, b) = (&link.between.0.0, &link.between.1.0);
        if a == b {
            return Err((
                link_at.field("between"),
                format!("a link joins two different hosts, but both ends are {a:?}"),
            ));
        }
        linked.insert(if a < b { (a, b) } else { (b, a) });
        let directions = [
            ("conditions", Some(&link.conditions)),
            ("reverse", link.reverse.as_ref()),
        ];
        for (field, c) in directions.into_iter().filter_map(|(f, c)| Some((f, c?))) {
            if let Some(queue) = c.queue_bytes.filter(|q| *q < u64::from(c.mtu)) {
                return Err((
                    link_at.field(field).field("queue_bytes"),
                    format!(
                        "queue_bytes {queue} is below the link's mtu {}: a full-size packet could never wait its turn",
                        c.mtu
                    ),
                ));
            }
        }
    }

    validate_tls(s)?;
    for (i, l) in s.listen.iter().enumerate() {
        let listen_at = at(&["listen"]).index(i);
        let what = format!("{}:{}", l.host.0, l.port);
        if l.app.is_some() && l.tls.is_none() {
            return Err((
                listen_at.field("app"),
                format!("the application on {what} needs TLS: add tls: \"<server profile>\""),
            ));
        }
        check_conversation(
            &listen_at,
            &what,
            "server",
            l.tls.is_some(),
            l.app.is_some(),
            l.conversation.is_some(),
        )?;
        if l.replay.is_some() && (l.tls.is_some() || l.app.is_some() || l.conversation.is_some()) {
            return Err((
                listen_at.field("replay"),
                format!(
                    "the replay on {what} takes the place of TLS, application and conversation: remove the others"
                ),
            ));
        }
    }

    let mut ends: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut previous = None;
    for (i, step) in s.timeline.iter().enumerate() {
        let step_at = at(&["timeline"]).index(i);
        let action_at = step_at.index(1);
        if let Some(before) = previous.filter(|t| *t > step.0) {
            return Err((
                step_at.index(0),
                format!(
                    "timeline steps must be in time order: this step at {} comes after one at {before}",
                    step.0
                ),
            ));
        }
        previous = Some(step.0);
        let end_of = |conn: &str,
                      host: &str,
                      ends: &BTreeMap<&str, (&str, &str)>|
         -> Result<(), Invalid> {
            match ends.get(conn) {
                None => Err((
                    action_at.field("conn"),
                    format!("connection {conn:?} is used before the step that opens it"),
                )),
                Some((a, b)) if host != *a && host != *b => Err((
                    action_at.field("from"),
                    format!(
                        "host {host:?} is not an end of connection {conn:?}: expected {a:?} or {b:?}"
                    ),
                )),
                Some(_) => Ok(()),
            }
        };
        match &step.1 {
            Action::Connect {
                conn,
                from,
                to,
                tls,
                app,
                conversation,
                ..
            } => {
                check_conversation(
                    &action_at,
                    &format!("{:?}", conn.0),
                    "client",
                    tls.is_some(),
                    app.is_some(),
                    conversation.is_some(),
                )?;
                if app.is_some() && tls.is_none() {
                    return Err((
                        action_at.field("app"),
                        format!(
                            "the application on {:?} needs TLS: add tls: \"<client profile>\"",
                            conn.0
                        ),
                    ));
                }
                ends.insert(&conn.0, (&from.0, &to.0));
                if from == to {
                    return Err((
                        action_at.field("to"),
                        format!(
                            "{:?} cannot connect to itself: expected another host",
                            from.0
                        ),
                    ));
                }
                let key = if from.0 < to.0 {
                    (&from.0, &to.0)
                } else {
                    (&to.0, &from.0)
                };
                if !linked.contains(&key) {
                    return Err((
                        action_at.field("to"),
                        format!(
                            "no link joins {:?} and {:?}: add one to `links`",
                            from.0, to.0
                        ),
                    ));
                }
            }
            Action::Send { conn, from, .. }
            | Action::Close { conn, from }
            | Action::Abort { conn, from }
            | Action::KeyUpdate { conn, from, .. }
            | Action::Renegotiate { conn, from } => {
                end_of(&conn.0, &from.0, &ends)?;
            }
            // A step's time and the delay or cut it starts are each at most
            // `Time::MAX`, so their sum is far from overflow (see
            // `units::tests::a_step_and_its_duration_never_overflow`).
            Action::Fault { .. } => {}
            Action::CutLink { between, .. } => {
                let (a, b) = (&between.0.0, &between.1.0);
                let key = if a < b { (a, b) } else { (b, a) };
                if !linked.contains(&key) {
                    return Err((
                        action_at.field("between"),
                        format!("no link joins {a:?} and {b:?}, so none can be cut"),
                    ));
                }
            }
        }
    }

    for (i, st) in s.expect.states.iter().enumerate() {
        let state_at = at(&["expect", "states"]).index(i);
        if crate::runner::parse_state(&st.state).is_none() {
            return Err((
                state_at.field("state"),
                format!(
                    "unknown TCP state {:?}: expected one of CLOSED, LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, \
                     FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT",
                    st.state
                ),
            ));
        }
        ends.get(st.conn.0.as_str())
            .filter(|(a, b)| st.host.0 == *a || st.host.0 == *b)
            .ok_or_else(|| {
                (
                    state_at.field("host"),
                    format!(
                        "host {:?} is not an end of connection {:?}",
                        st.host.0, st.conn.0
                    ),
                )
            })?;
    }
    for (i, alert) in s.expect.alerts.iter().enumerate() {
        let (conn, from) = alert.end();
        ends.get(conn.0.as_str())
            .filter(|(a, b)| from.0 == *a || from.0 == *b)
            .ok_or_else(|| {
                (
                    at(&["expect", "alerts"]).index(i).field("from"),
                    format!("host {:?} is not an end of connection {:?}", from.0, conn.0),
                )
            })?;
    }
    for (i, d) in s.expect.delivered.iter().enumerate() {
        ends.get(d.conn.0.as_str())
            .filter(|(a, b)| d.to.0 == *a || d.to.0 == *b)
            .ok_or_else(|| {
                (
                    at(&["expect", "delivered"]).index(i).field("to"),
                    format!(
                        "host {:?} is not an end of connection {:?}",
                        d.to.0, d.conn.0
                    ),
                )
            })?;
    }
    Ok(())
}

/// A pinned ephemeral key: a 32-byte ECDHE scalar, or a DHE exponent up
/// to the size of the largest RFC 7919 prime tlsim uses (ffdhe3072).
const EPHEMERAL_KEY_LEN: std::ops::RangeInclusive<usize> = 32..=384;

fn check_len(
    path: locate::Path,
    what: &'static str,
    value: &Option<Vec<u8>>,
    allowed: std::ops::RangeInclusive<usize>,
) -> Result<(), Invalid> {
    match value {
        Some(v) if !allowed.contains(&v.len()) => Err((
            path.field(what),
            format!(
                "{what} is {} bytes: expected {} to {} bytes",
                v.len(),
                allowed.start(),
                allowed.end()
            ),
        )),
        _ => Ok(()),
    }
}

/// `share_tickets_with` names another profile that keeps its own tickets.
fn check_share_tickets_with(
    s: &Scenario,
    c: &TlsClient,
    client_at: &locate::Path,
) -> Result<(), Invalid> {
    let Some(other) = &c.share_tickets_with else {
        return Ok(());
    };
    match s.tls.clients.iter().find(|o| &o.name == other) {
        Some(o) if o.name != c.name && o.share_tickets_with.is_none() => Ok(()),
        Some(_) => Err((
            client_at.clone().field("share_tickets_with"),
            format!(
                "TLS client {:?}: share_tickets_with {other:?} must name another profile \
                 that keeps its own tickets",
                c.name
            ),
        )),
        None => Err((
            client_at.clone().field("share_tickets_with"),
            format!("TLS client {:?}: no TLS client profile {other:?}", c.name),
        )),
    }
}

/// RFC 8446 §4.6.1: `opaque ticket<1..2^16-1>`, `uint32 ticket_age_add`,
/// `opaque ticket_nonce<0..255>`.
fn check_pinned_tickets(path: locate::Path, tickets: &[PinnedTicket]) -> Result<(), Invalid> {
    for (i, t) in tickets.iter().enumerate() {
        let at = path.clone().index(i);
        check_len(at.clone(), "ticket", &Some(t.ticket.clone()), 1..=65535)?;
        check_len(at.clone(), "age_add", &Some(t.age_add.clone()), 4..=4)?;
        check_len(at, "nonce", &Some(t.nonce.clone()), 0..=255)?;
    }
    Ok(())
}

fn check_ivs(path: locate::Path, ivs: &[Vec<u8>]) -> Result<(), Invalid> {
    match ivs.iter().position(|iv| iv.len() != 16) {
        Some(i) => Err((
            path.field("cbc_ivs").index(i),
            format!(
                "a CBC IV is {} bytes: expected 16 (the AES block size)",
                ivs[i].len()
            ),
        )),
        None => Ok(()),
    }
}

/// Checks of keys, certificates and TLS profiles.
/// A conversation builds its messages from the end's TLS profile and takes
/// the place of its TLS stack, so of any application above it too.
fn check_conversation(
    end_at: &locate::Path,
    what: &str,
    role: &str,
    tls: bool,
    app: bool,
    conversation: bool,
) -> Result<(), Invalid> {
    if !conversation {
        return Ok(());
    }
    if !tls {
        return Err((
            end_at.field("conversation"),
            format!(
                "the conversation on {what} builds its messages from a TLS profile: add tls: \"<{role} profile>\""
            ),
        ));
    }
    if app {
        return Err((
            end_at.field("app"),
            format!(
                "the conversation on {what} takes the place of TLS and of any application: remove app or conversation"
            ),
        ));
    }
    Ok(())
}

fn validate_tls(s: &Scenario) -> Result<(), Invalid> {
    for (i, key) in s.pki.keys.iter().enumerate() {
        if let KeyKind::P256Scalar(scalar) = &key.kind {
            tlsim_tls::crypto::sign::SigningKey::p256_from_scalar(scalar).map_err(|_| {
                (
                    at(&["pki", "keys"]).index(i).field("kind"),
                    format!(
                        "key {:?}: {} is not a P-256 private scalar: expected 64 hex digits of a number from 1 to n-1",
                        key.name,
                        tlsim_tls::codec::hex(scalar)
                    ),
                )
            })?;
        }
    }
    for (i, cert) in s.pki.certificates.iter().enumerate() {
        let cert_at = at(&["pki", "certificates"]).index(i);
        check_cert_form(s, cert, &cert_at)?;
        if let Some(issuer) = &cert.issuer {
            if !s.pki.certificates[..i].iter().any(|c| c.name == issuer.0) {
                return Err((
                    cert_at.field("issuer"),
                    format!(
                        "certificate {:?} is issued by {:?}, which must be listed before it",
                        cert.name, issuer.0
                    ),
                ));
            }
        }
        let (not_before, not_after) = s.pki.validity(cert);
        if cert.file.is_none() && not_after < not_before {
            return Err((
                cert_at.field("not_after"),
                format!(
                    "certificate {:?} expires ({not_after}) before it starts ({not_before})",
                    cert.name
                ),
            ));
        }
    }
    for (i, c) in s.tls.clients.iter().enumerate() {
        let client_at = at(&["tls", "clients"]).index(i);
        if c.cipher_suites.is_empty() {
            return Err((
                client_at.field("cipher_suites"),
                format!("TLS client {:?} offers no cipher suite", c.name),
            ));
        }
        if c.min_version.value() > c.max_version.value() {
            return Err((
                client_at.field("min_version"),
                format!(
                    "TLS client {:?}: min_version {} is above max_version {}",
                    c.name, c.min_version, c.max_version
                ),
            ));
        }
        let pins = client_at.field("pins");
        check_len(
            pins.clone(),
            "client_random",
            &c.pins.client_random,
            32..=32,
        )?;
        check_len(
            pins.clone(),
            "ephemeral_key",
            &c.pins.ephemeral_key,
            EPHEMERAL_KEY_LEN,
        )?;
        check_ivs(pins.clone(), &c.pins.cbc_ivs)?;
        check_len(pins.clone(), "gcm_nonce", &c.pins.gcm_nonce, 8..=8)?;
        check_len(
            pins.clone(),
            "pre_master_random",
            &c.pins.pre_master_random,
            46..=46,
        )?;
        check_len(
            pins.clone(),
            "master_secret",
            &c.pins.master_secret,
            48..=48,
        )?;
        check_len(
            pins.clone(),
            "ephemeral_public",
            &c.pins.ephemeral_public,
            1..=255,
        )?;
        check_len(
            pins.clone(),
            "encrypted_pre_master",
            &c.pins.encrypted_pre_master,
            1..=65535,
        )?;
        if let Some(i) = (c.pins.rsa_padding.iter()).find_map(|p| p.iter().position(|&b| b == 0)) {
            return Err((
                pins.field("rsa_padding"),
                format!("byte {i} of rsa_padding is zero: PKCS #1 v1.5 padding bytes are nonzero"),
            ));
        }
        check_len(
            pins.clone(),
            "legacy_session_id",
            &c.pins.legacy_session_id,
            0..=32,
        )?;
        check_len(
            pins.clone(),
            "retry_ephemeral_key",
            &c.pins.retry_ephemeral_key,
            EPHEMERAL_KEY_LEN,
        )?;
        check_share_tickets_with(s, c, &client_at)?;
        check_client_certificate(s, c, &client_at)?;
    }
    for (i, p) in s.tls.servers.iter().enumerate() {
        let server_at = at(&["tls", "servers"]).index(i);
        if p.cipher_suites.is_empty() {
            return Err((
                server_at.field("cipher_suites"),
                format!("TLS server {:?} needs at least one cipher suite", p.name),
            ));
        }
        let Some(leaf_name) = p.chain.first() else {
            return Err((
                server_at.field("chain"),
                format!("TLS server {:?} needs a certificate chain", p.name),
            ));
        };
        if p.min_version.value() > p.max_version.value() {
            return Err((
                server_at.field("min_version"),
                format!(
                    "TLS server {:?}: min_version {} is above max_version {}",
                    p.name, p.min_version, p.max_version
                ),
            ));
        }
        let leaf = s.pki.certificates.iter().find(|c| c.name == leaf_name.0);
        if leaf.is_some_and(|leaf| leaf.file.is_none() && leaf.key.as_ref() != Some(&p.key)) {
            return Err((
                server_at.field("key"),
                format!(
                    "TLS server {:?}: key {:?} is not the key of the leaf certificate {:?}",
                    p.name, p.key.0, leaf_name.0
                ),
            ));
        }
        let pins = server_at.field("pins");
        check_len(
            pins.clone(),
            "server_random",
            &p.pins.server_random,
            32..=32,
        )?;
        check_len(pins.clone(), "session_id", &p.pins.session_id, 0..=32)?;
        check_len(
            pins.clone(),
            "ephemeral_key",
            &p.pins.ephemeral_key,
            EPHEMERAL_KEY_LEN,
        )?;
        check_len(pins.clone(), "ticket_key", &p.pins.ticket_key, 16..=16)?;
        check_ivs(pins.clone(), &p.pins.cbc_ivs)?;
        check_len(pins.clone(), "gcm_nonce", &p.pins.gcm_nonce, 8..=8)?;
        check_len(
            pins.clone(),
            "master_secret",
            &p.pins.master_secret,
            48..=48,
        )?;
        check_len(
            pins.clone(),
            "ephemeral_public",
            &p.pins.ephemeral_public,
            1..=255,
        )?;
        check_len(pins.clone(), "signature", &p.pins.signature, 1..=65535)?;
        // RFC 8446 §4.2.2: `opaque cookie<1..2^16-1>`.
        check_len(pins.clone(), "cookie", &p.pins.cookie, 1..=65535)?;
        if let Some(salt) = &p.pins.pss_salt
            && ![32, 48, 64].contains(&salt.len())
        {
            return Err((
                pins.field("pss_salt"),
                format!(
                    "pss_salt is {} bytes: expected 32, 48 or 64 (as long as the RSA-PSS hash)",
                    salt.len()
                ),
            ));
        }
        if let Some(tickets) = &p.tickets {
            check_tickets(server_at.field("tickets"), tickets)?;
        }
        check_pinned_tickets(pins.field("tickets"), &p.pins.tickets)?;
        if !p.pins.tickets.is_empty() && p.tickets.is_none() {
            return Err((
                pins.field("tickets"),
                format!(
                    "TLS server {:?} pins tickets but sends none: give it `tickets: (count: {}, …)`",
                    p.name,
                    p.pins.tickets.len()
                ),
            ));
        }
    }
    Ok(())
}

/// A certificate is made from its fields or read from a file, not both.
fn check_cert_form(s: &Scenario, cert: &Cert, cert_at: &locate::Path) -> Result<(), Invalid> {
    if cert.file.is_some() {
        let made_here = [
            ("issuer", cert.issuer.is_some()),
            ("not_before", cert.not_before.is_some()),
            ("not_after", cert.not_after.is_some()),
            ("subject", cert.subject != DistinguishedName::default()),
            ("ca", cert.ca),
            ("dns_names", !cert.dns_names.is_empty()),
            ("serial", cert.serial.is_some()),
            ("key_usage", cert.key_usage.is_some()),
        ];
        if let Some((field, _)) = made_here.iter().find(|(_, set)| *set) {
            return Err((
                cert_at.field(field),
                format!(
                    "certificate {:?} is read from a file: leave out {field}, which only a certificate made by tlsim has",
                    cert.name
                ),
            ));
        }
        if s.pki.epoch.is_none() {
            return Err((
                cert_at.field("file"),
                "a certificate from a file needs pki.epoch: the calendar time at simulated time zero, inside its validity (such as the capture's date)".into(),
            ));
        }
        return Ok(());
    }
    if cert.key.is_none() {
        return Err((
            cert_at.field("name"),
            format!(
                "certificate {:?} needs key (or a file to read it from)",
                cert.name
            ),
        ));
    }
    Ok(())
}

/// RFC 5077 §4's key sizes, and lifetimes in whole seconds. (No duration
/// exceeds a week, RFC 8446 §4.6.1's longest lifetime: [`Time::MAX`].)
fn check_tickets(at: locate::Path, tickets: &crate::schema::Tickets) -> Result<(), Invalid> {
    check_len(at.clone(), "key_name", &tickets.key_name, 16..=16)?;
    check_len(at.clone(), "aes_key", &tickets.aes_key, 16..=16)?;
    check_len(at.clone(), "hmac_key", &tickets.hmac_key, 32..=32)?;
    for (what, time) in [
        ("lifetime", Some(tickets.lifetime)),
        ("lifetime_hint", tickets.lifetime_hint),
    ] {
        if let Some(time) = time
            && time.0.as_nanos() % 1_000_000_000 != 0
        {
            return Err((
                at.field(what),
                format!(
                    "{what} {time} is not a whole number of seconds (RFC 5077 §3.3 counts seconds)"
                ),
            ));
        }
    }
    Ok(())
}

/// A client certificate needs both its chain and the key of its leaf.
fn check_client_certificate(
    s: &Scenario,
    c: &TlsClient,
    client_at: &locate::Path,
) -> Result<(), Invalid> {
    match (c.chain.first(), &c.key) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err((
            client_at.field("chain"),
            format!("TLS client {:?} has a key but no certificate chain", c.name),
        )),
        (Some(_), None) => Err((
            client_at.field("key"),
            format!(
                "TLS client {:?} needs the key of its certificate chain's leaf",
                c.name
            ),
        )),
        (Some(leaf_name), Some(key)) => {
            let leaf = s.pki.certificates.iter().find(|c| c.name == leaf_name.0);
            // A certificate read from a file is checked against its key
            // by public key, with the servers' (`check_pki_files`).
            if leaf.is_some_and(|leaf| leaf.key.as_ref().is_some_and(|k| k != key)) {
                return Err((
                    client_at.field("key"),
                    format!(
                        "TLS client {:?}: key {:?} is not the key of the leaf certificate {:?}",
                        c.name, key.0, leaf_name.0
                    ),
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepoints::CalendarTime;
    use crate::schema::{DEFAULT_NOT_BEFORE, DEFAULT_VALIDITY_SECONDS};

    const GOOD: &str = r#"Scenario(
    name: "t",
    hosts: [
        Host(name: "client", addr: "10.0.0.1"),
        Host(name: "server", addr: "10.0.0.2"),
    ],
    links: [Link(between: ("client", "server"), conditions: (latency: "10ms", loss: 0.1))],
    listen: [Listen(host: "server", port: 80)],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 80)),
        At("1ms", Send(conn: "c1", from: "client", data: Pattern(100))),
    ],
)"#;

    fn error_of(source: &str) -> ScenarioError {
        parse(source, "x.ron").expect_err("the scenario should be rejected")
    }

    #[test]
    fn a_client_certificate_needs_the_key_of_its_leaf() {
        let mutual = include_str!("../../../scenarios/tls12-mutual.ron");
        assert!(parse(mutual, "x.ron").is_ok());
        let wrong_key = mutual.replace(
            "chain: [\"client\"],\n                key: \"client\",",
            "chain: [\"client\"],\n                key: \"leaf\",",
        );
        let e = error_of(&wrong_key);
        assert!(
            e.message
                .ends_with("TLS client \"client\": key \"leaf\" is not the key of the leaf certificate \"client\""),
            "{e}"
        );
        let no_key = mutual.replace("                key: \"client\",\n", "");
        let e = error_of(&no_key);
        assert!(
            e.message
                .ends_with("TLS client \"client\" needs the key of its certificate chain's leaf"),
            "{e}"
        );
    }

    /// A PKI of one self-signed certificate, with `dates` among its fields.
    fn pki_scenario(epoch: &str, dates: &str) -> String {
        GOOD.replace(
            "    listen:",
            &format!(
                r#"    pki: ({epoch}keys: [Key(name: "k", kind: P256)],
        certificates: [Cert(name: "c", subject: (cn: "c.test"), key: "k"{dates})]),
    listen:"#
            ),
        )
    }

    #[test]
    fn a_certificate_without_dates_is_valid_for_a_year_from_the_epoch() {
        let year = DEFAULT_VALIDITY_SECONDS;
        let s = parse(&pki_scenario("", ""), "x.ron").unwrap();
        let cert = &s.pki.certificates[0];
        let start = DEFAULT_NOT_BEFORE;
        assert_eq!(s.pki.validity(cert), (start, CalendarTime(start.0 + year)));
        assert_eq!(s.pki.epoch(), start, "it has begun at simulated time zero");

        let epoch = r#"epoch: "2030-05-01T00:00:00Z", "#;
        let s = parse(&pki_scenario(epoch, ""), "x.ron").unwrap();
        let start = CalendarTime::parse("2030-05-01T00:00:00Z").unwrap();
        let cert = &s.pki.certificates[0];
        assert_eq!(s.pki.validity(cert), (start, CalendarTime(start.0 + year)));

        let dates = r#", not_before: "2020-01-01T00:00:00Z""#;
        let s = parse(&pki_scenario("", dates), "x.ron").unwrap();
        let start = CalendarTime::parse("2020-01-01T00:00:00Z").unwrap();
        let cert = &s.pki.certificates[0];
        assert_eq!(s.pki.validity(cert), (start, CalendarTime(start.0 + year)));
    }

    #[test]
    fn an_end_before_the_default_start_is_reported_at_not_after() {
        let dates = r#", not_after: "2025-01-01T00:00:00Z""#;
        let e = error_of(&pki_scenario("", dates));
        assert_eq!((e.line, e.col), (9, 86), "at not_after: {e}");
        assert!(
            e.message.ends_with(
                "certificate \"c\" expires (2025-01-01T00:00:00Z) before it starts (2026-01-01T00:00:00Z)"
            ),
            "{e}"
        );
    }

    #[test]
    fn accepts_a_well_formed_scenario() {
        let s = parse(GOOD, "x.ron").unwrap();
        assert_eq!(s.hosts.len(), 2);
        assert_eq!(s.timeline.len(), 2);
    }

    #[test]
    fn reports_a_loss_above_one_at_its_position() {
        let e = error_of(&GOOD.replace("loss: 0.1", "loss: 1.5"));
        assert_eq!((e.line, e.file.as_str()), (7, "x.ron"));
        assert!(e.message.contains("probability 1.5 is out of range"), "{e}");
    }

    #[test]
    fn reports_a_second_link_between_the_same_hosts_where_it_is() {
        let twice = GOOD.replace(
            r#"loss: 0.1))],"#,
            r#"loss: 0.1)),
        Link(between: ("server", "client"))],"#,
        );
        let e = error_of(&twice);
        assert_eq!((e.line, e.col), (8, 23), "{e}");
        assert!(
            e.message.ends_with(
                "hosts \"client\" and \"server\" are joined by two links (lines 7 and 8)"
            ),
            "{e}"
        );
    }

    #[test]
    fn reports_a_negative_latency() {
        let e = error_of(&GOOD.replace("\"10ms\"", "\"-10ms\""));
        assert_eq!(e.line, 7);
        assert!(e.message.contains("expected a number and a unit"), "{e}");
    }

    #[test]
    fn reports_an_unknown_host_where_it_is_named() {
        let e = error_of(&GOOD.replace("to: \"server\"", "to: \"sever\""));
        assert_eq!(e.line, 10, "{e}");
        assert!(
            e.message
                .contains("unknown host \"sever\": expected one of client, server"),
            "{e}"
        );
    }

    #[test]
    fn reports_an_unknown_connection() {
        let e = error_of(&GOOD.replace("Send(conn: \"c1\"", "Send(conn: \"c2\""));
        assert_eq!(e.line, 11, "{e}");
        assert!(e.message.contains("unknown connection \"c2\""), "{e}");
    }

    #[test]
    fn reports_syntax_errors_with_line_and_column() {
        let e = error_of(&GOOD.replace("port: 80)]", "port: 80]"));
        assert_eq!(e.line, 8, "{e}");
        assert!(e.to_string().starts_with("x.ron:8:"), "{e}");
    }

    #[test]
    fn reports_unknown_fields() {
        let e = error_of(&GOOD.replace("latency:", "latncy:"));
        assert!(e.message.contains("latncy"), "{e}");
    }

    #[test]
    fn rejects_a_send_from_a_host_that_is_not_an_end() {
        let three = GOOD
            .replace("Host(name: \"server\", addr: \"10.0.0.2\"),", "Host(name: \"server\", addr: \"10.0.0.2\"),\n        Host(name: \"other\", addr: \"10.0.0.3\"),")
            .replace("Send(conn: \"c1\", from: \"client\"", "Send(conn: \"c1\", from: \"other\"");
        let e = error_of(&three);
        assert!(e.message.contains("not an end of connection \"c1\""), "{e}");
        assert_eq!(e.line, 12, "{e}");
    }

    #[test]
    fn rejects_duplicate_host_names() {
        let e = error_of(&GOOD.replace(
            "Host(name: \"server\", addr: \"10.0.0.2\"),",
            "Host(name: \"server\", addr: \"10.0.0.2\"),\n        Host(name: \"client\", addr: \"10.0.0.3\"),",
        ));
        assert_eq!(
            e.message,
            "host \"client\" is defined twice (lines 4 and 6)"
        );
        assert_eq!((e.line, e.col), (6, 20), "{e}");
    }
}
