//! Form and query-string fields, the shape most aggregators' webhooks take.

use super::{bounded, InboundSms, MissedCall, WebhookError, WebhookRequest};
use super::{MAX_MESSAGE_ID, MAX_PHONE_FIELD, MAX_SMS_TEXT};

/// A dialect's names for the fields of an inbound SMS or call, first choice first.
pub(super) struct Names {
    pub id: &'static [&'static str],
    pub from: &'static [&'static str],
    pub to: &'static [&'static str],
    /// The message text (unused for calls).
    pub text: &'static [&'static str],
}

/// The name/value pairs of a webhook: the query string's, then the form body's.
#[derive(Debug, Default)]
pub(super) struct Fields(Vec<(String, String)>);

impl Fields {
    /// Only the form body (`application/x-www-form-urlencoded`).
    pub(super) fn body(body: &[u8]) -> Result<Self, WebhookError> {
        serde_urlencoded::from_bytes(body)
            .map(Fields)
            .map_err(|err| WebhookError::Malformed(err.to_string()))
    }

    /// Query string and form body together (Exotel and Kannel call with GET or POST).
    pub(super) fn all(request: &WebhookRequest<'_>) -> Result<Self, WebhookError> {
        let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(request.query)
            .map_err(|err| WebhookError::Malformed(err.to_string()))?;
        if !request.body.is_empty() {
            pairs.extend(Self::body(request.body)?.0);
        }
        Ok(Fields(pairs))
    }

    pub(super) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The first non-empty value of the first of `names` present.
    pub(super) fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| {
            self.0
                .iter()
                .find(|(key, value)| key == name && !value.is_empty())
                .map(|(_, value)| value.as_str())
        })
    }

    /// A required field, bounded in length; named by its first spelling when missing.
    pub(super) fn required(
        &self,
        names: &[&'static str],
        max: usize,
    ) -> Result<String, WebhookError> {
        let value = self
            .get(names)
            .ok_or(WebhookError::MissingField(names[0]))?;
        bounded(value.to_string(), names[0], max)
    }

    /// An optional field, bounded in length.
    pub(super) fn optional(
        &self,
        names: &[&'static str],
        max: usize,
    ) -> Result<Option<String>, WebhookError> {
        self.get(names)
            .map(|value| bounded(value.to_string(), names[0], max))
            .transpose()
    }

    /// A field that must be there but may be empty (an SMS's text): the first of `names` present,
    /// bounded in length; named by its first spelling when none is.
    pub(super) fn present(
        &self,
        names: &[&'static str],
        max: usize,
    ) -> Result<String, WebhookError> {
        let value = names
            .iter()
            .find_map(|name| self.0.iter().find(|(key, _)| key == name))
            .map(|(_, value)| value.clone())
            .ok_or(WebhookError::MissingField(names[0]))?;
        bounded(value, names[0], max)
    }

    /// An inbound SMS under the dialect's field names. Its text may be empty (someone sent an
    /// empty SMS) but not missing (the request is not an SMS as the dialect sends one).
    pub(super) fn sms(&self, names: &Names) -> Result<InboundSms, WebhookError> {
        Ok(InboundSms {
            message_id: self.optional(names.id, MAX_MESSAGE_ID)?,
            from: self.required(names.from, MAX_PHONE_FIELD)?,
            to: self.optional(names.to, MAX_PHONE_FIELD)?,
            text: self.present(names.text, MAX_SMS_TEXT)?,
        })
    }

    /// A missed call under the dialect's field names.
    pub(super) fn call(&self, names: &Names) -> Result<MissedCall, WebhookError> {
        Ok(MissedCall {
            call_id: self.optional(names.id, MAX_MESSAGE_ID)?,
            from: self.required(names.from, MAX_PHONE_FIELD)?,
            to: self.optional(names.to, MAX_PHONE_FIELD)?,
        })
    }
}
