package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// keys are derived from SECRET_KEY, one per purpose, so that a value
// signed for one purpose is worthless for another.
type keys struct {
	login []byte // sign-in progress cookie
	flash []byte // flash message cookie
	csrf  []byte // CSRF tokens
	lang  []byte // language choice cookie (not secret, but not forgeable)
}

func deriveKeys(secret []byte) keys {
	d := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("canaille ui " + label))
		return m.Sum(nil)
	}
	return keys{login: d("login"), flash: d("flash"), csrf: d("csrf"), lang: d("lang")}
}

var b64 = base64.RawURLEncoding

// signed is the envelope of a signed cookie value.
type signed struct {
	Exp  int64           `json:"e"`
	Data json.RawMessage `json:"d"`
}

// seal encodes v as JSON, adds an expiry and signs it with key:
// base64(payload) "." base64(mac).
func seal(key []byte, v any, exp time.Time) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(signed{Exp: exp.Unix(), Data: data})
	if err != nil {
		return "", err
	}
	p := b64.EncodeToString(payload)
	return p + "." + b64.EncodeToString(mac(key, p)), nil
}

// open checks a sealed value and decodes it into v; false when the
// signature is wrong, the value expired or does not decode.
func open(key []byte, s string, now time.Time, v any) bool {
	p, sig, ok := strings.Cut(s, ".")
	if !ok || len(s) > 8192 {
		return false
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return false
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return false
	}
	var env signed
	if json.Unmarshal(payload, &env) != nil || now.Unix() > env.Exp {
		return false
	}
	return json.Unmarshal(env.Data, v) == nil
}

func mac(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
