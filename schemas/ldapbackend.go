package schemas

import (
	"strconv"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

// This file holds the few mappings the upstream OpenLDAP backend
// (store/ldap) needs beyond UserToEntry and UserFromEntry: the OTP fields,
// which Python Canaille keeps in the attributes of OpenLDAP's otp overlay
// (CANAILLE.md 5.3), and nothing else.

// OTPClass is the auxiliary object class of the otp overlay that allows the
// OTP attributes on a user entry.
const OTPClass = "oathHOTPToken"

// OTPAttributeNames are the attributes OTPAttributes writes, in order:
// secret_token, last_otp_login, hotp_counter, one_time_password and
// one_time_password_emission_date.
var OTPAttributeNames = []string{"oathSecret", "oathLastLogin", "oathHOTPCounter", "oathTokenPIN", "oathSecretTime"}

// OTPAttributes returns the OTP attributes of u (empty fields give no
// attribute) and whether there is any.
func OTPAttributes(u *store.User) ([]ldif.Attribute, bool) {
	var b builder
	b.add("oathSecret", u.SecretToken)
	if !u.LastOTPLogin.IsZero() {
		b.add("oathLastLogin", FormatTime(u.LastOTPLogin))
	}
	if u.HOTPCounter != 0 {
		b.add("oathHOTPCounter", strconv.FormatUint(u.HOTPCounter, 10))
	}
	b.add("oathTokenPIN", u.OneTimePassword)
	if !u.OneTimePasswordEmissionDate.IsZero() {
		b.add("oathSecretTime", FormatTime(u.OneTimePasswordEmissionDate))
	}
	return b.attrs, len(b.attrs) > 0
}

// OTPFromEntry reads the OTP attributes of e into u. Unparsable values are
// left out.
func OTPFromEntry(e *ldif.Entry, u *store.User) {
	u.SecretToken = e.First("oathSecret")
	u.OneTimePassword = e.First("oathTokenPIN")
	if n, err := strconv.ParseUint(strings.TrimSpace(e.First("oathHOTPCounter")), 10, 64); err == nil {
		u.HOTPCounter = n
	}
	for _, f := range []struct {
		attr string
		dst  *time.Time
	}{{"oathLastLogin", &u.LastOTPLogin}, {"oathSecretTime", &u.OneTimePasswordEmissionDate}} {
		if t, err := ParseTime(strings.TrimSpace(e.First(f.attr))); err == nil {
			*f.dst = t
		}
	}
}
