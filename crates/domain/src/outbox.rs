//! The outbox's words (issue 13, point 4): the channel a message leaves by, where a message
//! is in its delivery, and whether a webhook endpoint is tried. Closed vocabularies, so the
//! rows that carry them cannot hold anything else.

vocabulary! {
    /// How a message leaves: posted to a webhook endpoint, or mailed.
    DeliveryChannel, "delivery channel" {
        Webhook => "webhook",
        Email => "email",
    }
}

vocabulary! {
    /// Where a message is in its delivery.
    MessageStatus, "message status" {
        /// Its delivery job will (again) try it.
        Pending => "pending",
        Delivered => "delivered",
        /// Kept back while its endpoint is disabled or unhealthy; sent once it is enabled.
        Held => "held",
        /// Given up on.
        Failed => "failed",
    }
}

vocabulary! {
    /// Whether a webhook endpoint is tried.
    EndpointStatus, "endpoint status" {
        Active => "active",
        /// An admin stopped its deliveries.
        Disabled => "disabled",
        /// It failed too many deliveries in a row; not tried until an admin enables it.
        Unhealthy => "unhealthy",
    }
}

impl MessageStatus {
    /// Whether a message in this status is still to be sent (now or once its endpoint is
    /// enabled again).
    pub fn is_open(self) -> bool {
        matches!(self, MessageStatus::Pending | MessageStatus::Held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_read_back_and_a_stranger_is_named_in_the_error() {
        for s in MessageStatus::ALL {
            assert_eq!(s.as_str().parse::<MessageStatus>().unwrap(), *s);
        }
        for s in EndpointStatus::ALL {
            assert_eq!(s.as_str().parse::<EndpointStatus>().unwrap(), *s);
        }
        let err = "sms".parse::<DeliveryChannel>().unwrap_err().to_string();
        assert!(
            err.contains("sms") && err.contains("webhook, email"),
            "{err}"
        );
    }

    #[test]
    fn held_and_pending_messages_are_still_to_be_sent() {
        assert!(MessageStatus::Pending.is_open() && MessageStatus::Held.is_open());
        assert!(!MessageStatus::Delivered.is_open() && !MessageStatus::Failed.is_open());
    }
}
