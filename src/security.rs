//! # Security manual (documentation only)
//!
//! This module holds no code. It states what the library defends against, with which limits,
//! how many guesses those limits let through in the worst case, what the host must add, and
//! what risk remains by design. Standards cited: NIST SP 800-63B rev. 4 ("800-63B") and OWASP
//! ASVS 5.0 ("ASVS").
//!
//! ## Threat model
//!
//! The attacker is anyone on the internet, with as many machines and as much patience as they
//! like, who knows the public rules (this crate is open source) and:
//!
//! - **guesses user IDs**: the union suggests `NGK` + employee number, so valid IDs are easy
//!   to list;
//! - **guesses secrets online**: passwords at the login, mailed codes at the registration and
//!   reset screens, the five identity fields at first authentication and the user-ID
//!   reminder;
//! - **probes for existence**: which user IDs have accounts, which insured persons are on a
//!   roster, through answers, mails, timing, locks and budgets;
//! - **abuses side effects**: mails to arbitrary addresses, rows in the store, CPU in argon2;
//! - **reads a leaked store** (a backup, an injection elsewhere in the host).
//!
//! Out of scope: an attacker who controls the host process, reads the member's mailbox, or
//! holds the member's insurance card (see [Residual risks](#residual-risks)).
//!
//! ## Budgets
//!
//! Every attempt an attacker could repeat is counted *before* it is evaluated, in one atomic
//! store step, so parallel attempts each count (ASVS V6.3.1). Counters are keyed by what is
//! attacked — the typed user ID whether or not an account holds it, the insured person — never
//! by the client, which the attacker controls. Time ends a lock but never resets a count; only
//! a success does (800-63B §3.2.2), and not even that for the budgets of mails a member sends
//! to an address of their choosing (an e-mail change finished to one's own address must not
//! reopen the budget for codes to anyone else's). [`Store::purge_expired`](crate::Store::purge_expired)
//! deletes a counter only once it limits nothing, whatever grace the host passes.
//!
//! | what is attacked | per lock | first lock | ceiling | the way back |
//! |---|---|---|---|---|
//! | a user ID's password (login) | 10 | 30 min, doubling to 24 h | 100 wrong passwords in a row | a password reset, or the help desk |
//! | a user ID's reset codes, over all its challenges | (5 per code) | — | 100 wrong entries in a row | the help desk ([`Portal::unlock_account`](crate::Portal::unlock_account)) |
//! | an insured person's identity (first authentication, reminder, taken user IDs) | 5 | 15 min, doubling to 24 h | — (forgotten 7 days after the last lock) | waiting |
//! | reset mails for a user ID | 5 | 15 min, doubling to 24 h | — (forgotten after 7 days) | waiting |
//! | registration mails for an insured person | 5 | 15 min, doubling to 24 h | — (forgotten after 7 days) | waiting |
//! | registration mails for one sign-up ticket | — | — | 5 | a new first authentication |
//! | e-mail-change codes for a user ID (to any address) | 5 | 15 min, doubling to 24 h | — (forgotten after 7 days; a finished change does not reset it) | waiting |
//!
//! The manual's rule for a member who mistypes stays as it was: ten failures lock the account
//! for thirty minutes, after which the right password works. Past a ceiling even the right
//! secret fails, so that a lucky guess cannot win; the member is told, in Japanese, to reset
//! the password or to contact the union (健康保険組合にお問い合わせください), in words that do
//! not reveal whether the account exists. Every number is a [`Config`](crate::Config) field;
//! [`Config::check`](crate::Config::check) refuses a ceiling above 100.
//!
//! ### Worst cases, measured
//!
//! The attacker simulations in `tests/attacks/` attack each budget for 30 and 365 simulated days
//! with `purge_expired(now, 0)` every hour, trying whenever the portal lets them (and, for the
//! forgetting throttles, also resting until failures are forgotten at each lock length, keeping
//! the worse figures). Guesses *evaluated* per account (or per insured person):
//!
//! | attack | day | 30 days | year |
//! |---|---|---|---|
//! | wrong passwords | 60 | 100 | 100 |
//! | wrong reset codes reaching a live code | 100 | 100 | 100 |
//! | identity checks | 35 | 180 | 1,855 |
//! | reset mails a member receives | 35 | 180 | 1,855 |
//! | e-mail-change codes one member sends to another's address | 35 | 180 | 1,855 |
//!
//! A reset code is 60 bits, so 100 guesses take an account over with probability
//! 100 / 2⁶⁰ ≈ 10⁻¹⁶; sprayed over a million accounts, 10⁻¹⁰. The registration code stays the
//! manual's six digits: the one who starts a registration receives its code, so guessing it
//! gains nothing. Identity checks are a throttle rather than a ceiling, because there is no
//! account yet to lock and no help desk to call: a genuine member waits at most 24 hours.
//!
//! ## No enumeration
//!
//! - A login with an unknown user ID verifies a dummy hash made with the live parameters,
//!   answers like a wrong password and counts against that user ID's budget like a real one:
//!   locks and ceilings read the same (ASVS V6.3.8).
//! - A password reset answers with a ticket for any well-formed user ID; an unknown one gets a
//!   decoy challenge (at most one per user ID: a new request replaces it) that answers wrong
//!   codes like a real one and dies the same way. A string that is not a user ID is refused
//!   before anything is stored. A mail that cannot be sent is answered the same way as one
//!   that was: the failure goes to the audit trail only.
//! - The user-ID reminder answers the same whether or not anything matched and whether or not
//!   mail could be sent; every request counts, matched or not.
//! - First authentication never says which field differed. A sign-up ticket checks "this
//!   person already has an account" before "this user ID is taken", and each taken answer
//!   costs the insured person's identity budget, so a ticket is no oracle for user IDs; a
//!   ticket is used up by its registration.
//!
//! ## Codes and tickets
//!
//! Codes, ticket ids, salts and keys come straight from the operating system's generator
//! (fork-safe: no user-space state to copy into a child process). Codes are stored only as a
//! keyed BLAKE2s MAC ([`Config::secret_key`](crate::Config::secret_key)), compared in constant
//! time, accepted once, valid for ten minutes; a code judged expired is voided for good, and a
//! clock reading before its issue is refused, so a clock stepping back revives nothing. A new
//! reset request voids the previous code; a completed reset voids every code of the account.
//! Tickets are 128 bits with exactly one spelling (32 lower-case hex digits).
//!
//! ## Early cuts
//!
//! Passwords over 1,024 bytes are refused before normalisation or hashing; a login with one
//! still spends a dummy verify on a bounded input and counts, so its answer and cost match a
//! wrong password's. A stored hash whose argon2 cost exceeds 4× the live parameters is never
//! run ([`HashError::CostTooHigh`](crate::HashError::CostTooHigh)): the login answers like a
//! wrong password and the audit trail records `cost_too_high`.
//!
//! **Older, cheaper hashes answer faster.** An account hashed with cheaper parameters than the
//! live ones (created before the parameters were raised) verifies faster than the dummy hash
//! of an unknown user ID, until its member logs in and the hash is upgraded. A host that raises
//! the parameters and cares about this timing difference can rehash offline to a wrapped form,
//! expire those passwords (force a reset at the next login), or keep the old parameters until
//! most members have logged in once.
//!
//! ## Settings and the union's side
//!
//! - Changing the password or the e-mail address asks for the current password, counted
//!   against the same login budget as the login form (OWASP ASVS 5.0 V6.2.3, V7.5.1:
//!   re-authentication before changing the credentials or the recovery address), so a
//!   stolen session alone changes nothing and cannot guess faster than the login form allows.
//!   A new address is proven by a code mailed to it (same code rules and budgets as
//!   registration). A password change and every end of the member's sessions void the
//!   account's outstanding codes — reset codes, and an e-mail change that whoever stole the
//!   password or the session may have begun, which would otherwise still hand them the
//!   account's mail (ASVS V7.4.3) — and a finished e-mail change does not give its mail budget
//!   back, so that one's own account relays no codes to other people's addresses. A password
//!   change, a password reset and an address change each send a notice to the address of
//!   record (ASVS V6.3.7).
//! - Coverage: an account whose insured person left the roster, or whose 資格喪失日 has come,
//!   cannot log in. [`Error::CoverageEnded`](crate::Error::CoverageEnded) is said only after
//!   the password checked out, so it tells nothing to someone without the password; reset and
//!   reminder treat the account as unknown (a decoy, no mail), and first authentication does
//!   not confirm the person. A roster file without a 資格喪失日 column says nothing of when
//!   coverage ends, so its import keeps an end set by hand
//!   ([`Portal::end_coverage`](crate::Portal::end_coverage)) for the person it names
//!   ([`RosterEntry::keeps_end_of`](crate::store::RosterEntry::keeps_end_of): same key, same
//!   date of birth), and leaves alone one set or cleared while it runs; a file with the
//!   column, [`Portal::restore_coverage`](crate::Portal::restore_coverage), or a newcomer
//!   under the same number changes it.
//! - An account belongs to the person who registered it, not to the number: it keeps the date
//!   of birth its member proved ([`Account::is_held_by`](crate::store::Account::is_held_by)).
//!   When the insurer gives a former member's 記号・番号 to someone else, the account answers
//!   as its coverage ended, and the new holder's first authentication retires it.
//! - A roster import is one atomic step per insurer: all or nothing, never another insurer's
//!   rows, a refused or duplicated row leaving the roster as it was.
//! - Mail branding is checked ([`Config::check`](crate::Config::check)): no control
//!   characters (header injection through the sender line), web addresses only, and no text
//!   that would put a second code-like number into a code mail.
//!
//! ## Audit trail
//!
//! Every decision is a `tracing` event with target `kenpo_auth::audit`, described field by field
//! in [`crate::audit`]. No event carries a password, a code, a key, a hash or the identity
//! fields a member typed (ASVS V16.2).
//!
//! ## What the host must add
//!
//! - **Per-client rate limits** in front of the portal (per IP address or network, per
//!   session): the library limits per account and per insured person, which stops guessing
//!   against one target but not one attempt against each of many targets, nor the storage and
//!   CPU each attempt costs (one argon2 run per login, one counter row per user ID tried).
//!   [`ClientNetworks`](crate::ClientNetworks) tells one client from another for such a limit:
//!   an IPv6 client is its /64, and behind a reverse proxy the client is the entry that proxy
//!   added to `X-Forwarded-For` (ASVS 5.0 V2.4.1).
//! - **TLS** everywhere, secure cookies, CSRF tokens, and the reference web host's headers.
//! - **A queueing mailer**: enqueue and return, so that flows that mail and flows that do not
//!   take the same time; and monitor `mail_failed` events.
//! - **One secret key and pepper** shared by every process, from a secret store, and
//!   synchronised clocks (NTP).
//! - **Staff authentication** for the union's operations — the help desk
//!   ([`Portal::help_desk_find`](crate::Portal::help_desk_find),
//!   [`Portal::unlock_account`](crate::Portal::unlock_account),
//!   [`Portal::help_desk_end_sessions`](crate::Portal::help_desk_end_sessions),
//!   [`Portal::help_desk_delete_account`](crate::Portal::help_desk_delete_account)) and the roster
//!   ([`Portal::import_roster`](crate::Portal::import_roster),
//!   [`Portal::end_coverage`](crate::Portal::end_coverage)) — which an operator uses only after
//!   proving the member's identity out of band. Each is an audit event. In a portal run for
//!   many unions, a union's staff get only their union's desk
//!   ([`Portal::help_desk_of`](crate::Portal::help_desk_of)), which refuses other insurers'
//!   accounts (ASVS 5.0 V8.2.2: data-specific access only for those permitted those items).
//! - **A session** for the settings: [`Portal::change_password`](crate::Portal::change_password)
//!   and [`Portal::begin_email_change`](crate::Portal::begin_email_change) take the logged-in
//!   user ID from it. Keep a [`SessionStamp`](crate::SessionStamp) beside the user ID
//!   ([`Portal::login_with_stamp`](crate::Portal::login_with_stamp) logs in and makes it) and call
//!   [`Portal::check_session`](crate::Portal::check_session) on every request: the session then
//!   ends with a password change or reset, the account's deletion, the end of coverage
//!   (ASVS 5.0 V7.4.1-3), the help desk's word (V7.4.5) or the member's own from another
//!   device ([`Portal::end_other_sessions`](crate::Portal::end_other_sessions), V7.5.2), and
//!   twelve hours after the password was last proved in it (the login, or a password change
//!   or end of the other sessions made from it) however active
//!   ([`Config::session_lifetime`](crate::Config::session_lifetime), which
//!   [`Config::check`](crate::Config::check) refuses past 24 hours; V7.3.2, NIST SP 800-63B
//!   rev. 4 §2.2.3). Rotate the session id whenever the session gains a member or a ticket
//!   (V7.2.4), and end it at logout (V7.4.1); the reference web host does all of this.
//! - **Hourly [`purge_expired`](crate::Store::purge_expired)**: safe with any grace.
//!
//! ## Residual risks
//!
//! - **Anyone holding the five fields of someone's insurance card can register in their name
//!   before they do.** The manual's first authentication asks for what the card shows; a
//!   family member or colleague with the card (or a photo of it) can pass it. The library
//!   cannot tell them apart; the union can, by mailing a notice to a known address or by
//!   letting the help desk delete an account on request.
//! - A member whose account is attacked is locked out for up to 24 hours at a time, and past
//!   the ceilings until a reset or the help desk (a denial of service traded for the budget).
//! - Mail is not confidential: whoever reads the member's mailbox can reset the password.
//! - The manual's password policy (8–20 characters with composition rules) is weaker than
//!   800-63B's; [`PasswordPolicy::nist_800_63b`](crate::PasswordPolicy::nist_800_63b) is there
//!   for hosts that may follow it.
