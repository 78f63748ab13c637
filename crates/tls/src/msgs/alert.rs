//! Alerts (RFC 5246 §7.2) and ChangeCipherSpec (RFC 5246 §7.1).

use crate::codec::{Codec, Reader};
use crate::enums::{AlertDescription, AlertLevel};
use crate::error::InvalidMessage;

/// RFC 5246 §7.2 `Alert`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Warning or fatal.
    pub level: AlertLevel,
    /// What happened.
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert.
    pub fn fatal(description: AlertDescription) -> Self {
        Alert {
            level: AlertLevel::Fatal,
            description,
        }
    }

    /// A warning alert: the connection goes on (RFC 5246 §7.2).
    pub fn warning(description: AlertDescription) -> Self {
        Alert {
            level: AlertLevel::Warning,
            description,
        }
    }

    /// RFC 5246 §7.2.1: close_notify, sent at warning level.
    pub fn close_notify() -> Self {
        Alert::warning(AlertDescription::CloseNotify)
    }
}

impl Codec for Alert {
    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Alert {
            level: AlertLevel::read(r)?,
            description: AlertDescription::read(r)?,
        })
    }
}

/// RFC 5246 §7.1 `ChangeCipherSpec`: one byte, `change_cipher_spec(1)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeCipherSpec;

impl Codec for ChangeCipherSpec {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        match r.u8("ChangeCipherSpec")? {
            1 => Ok(ChangeCipherSpec),
            _ => Err(InvalidMessage::IllegalValue("ChangeCipherSpec")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_notify_is_warning_zero() {
        assert_eq!(Alert::close_notify().to_bytes(), [1, 0]);
        assert_eq!(
            Alert::from_bytes(&[2, 40]).unwrap(),
            Alert::fatal(AlertDescription::HandshakeFailure)
        );
    }

    #[test]
    fn rejects_change_cipher_spec_other_than_one() {
        assert_eq!(
            ChangeCipherSpec::from_bytes(&[1]).unwrap(),
            ChangeCipherSpec
        );
        assert_eq!(
            ChangeCipherSpec::from_bytes(&[2]).unwrap_err(),
            InvalidMessage::IllegalValue("ChangeCipherSpec")
        );
        assert!(matches!(
            ChangeCipherSpec::from_bytes(&[1, 1]),
            Err(InvalidMessage::TrailingData(_))
        ));
    }
}
