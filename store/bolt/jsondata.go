package bolt

import (
	"bytes"
	"encoding/json"
)

// jsonData is the Data of a code or token record (the OIDC layer's state
// of the request). That state is JSON, and is stored as JSON, not as the
// base64 string encoding/json makes of a []byte: a third smaller, which
// is fewer pages for every commit of the token endpoint. Data comes back
// byte for byte: other bytes (not a JSON object, or one encoding/json
// would rewrite), and records written before, are base64 strings; both
// forms decode.
type jsonData []byte

func (d jsonData) MarshalJSON() ([]byte, error) {
	if len(d) > 0 && d[0] == '{' && kept(d) && json.Valid(d) {
		return d, nil
	}
	return json.Marshal([]byte(d))
}

// kept reports whether encoding/json leaves d unchanged when a Marshaler
// returns it: it compacts that output (no space between tokens) and
// escapes <, >, &, U+2028 and U+2029, so JSON with any of these would not
// come back as it was written. json.Marshal's own output always passes.
func kept(d []byte) bool {
	in, esc := false, false
	for i, c := range d {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		case c == '<' || c == '>' || c == '&':
			return false
		case c == 0xE2 && i+2 < len(d) && d[i+1] == 0x80 && (d[i+2] == 0xA8 || d[i+2] == 0xA9):
			return false
		}
	}
	return true
}

func (d *jsonData) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '{':
		*d = bytes.Clone(b)
		return nil
	case string(b) == "null":
		*d = nil
		return nil
	}
	var raw []byte
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*d = raw
	return nil
}

// The records that carry Data encode it through jsonData; the wrapper
// structs' Data field hides the embedded one (encoding/json takes the
// shallower of two fields with one name).

func (r codeRecord) MarshalJSON() ([]byte, error) {
	type plain codeRecord
	return json.Marshal(struct {
		plain
		Data jsonData `json:"data,omitempty"`
	}{plain(r), r.AuthorizationCode.Data})
}

func (r *codeRecord) UnmarshalJSON(b []byte) error {
	type plain codeRecord
	v := struct {
		*plain
		Data jsonData `json:"data,omitempty"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	r.AuthorizationCode.Data = v.Data
	return nil
}

func (r tokenRecord) MarshalJSON() ([]byte, error) {
	type plain tokenRecord
	return json.Marshal(struct {
		plain
		Data jsonData `json:"data,omitempty"`
	}{plain(r), r.Token.Data})
}

func (r *tokenRecord) UnmarshalJSON(b []byte) error {
	type plain tokenRecord
	v := struct {
		*plain
		Data jsonData `json:"data,omitempty"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	r.Token.Data = v.Data
	return nil
}
