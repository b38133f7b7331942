package bolt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// jsonData is the Data of a code or token record (the OIDC layer's state
// of the request). That state is JSON, and is stored as JSON, not as the
// base64 string encoding/json makes of a []byte: a third smaller, which
// is fewer pages for every commit of the token endpoint. Data comes back
// byte for byte (decoding hands the member's bytes over as they are);
// bytes that are not a JSON object, and records written before, are base64
// strings; both forms decode.
type jsonData []byte

// appendWithData appends to dst the JSON object of v (whose own Data is
// empty, so left out) with d as its "data" member. The record's encoding
// goes through encoding/json's reflection once; d is only validated (as
// a Marshaler's output it would be compacted, and the record's JSON as a
// whole a second time: three times the cost).
func appendWithData(dst []byte, v any, d []byte) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(d) == 0 {
		return append(dst, b...), nil
	}
	dst = append(dst, b[:len(b)-1]...) // without the closing brace
	if len(b) > 2 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"data":`...)
	if d[0] == '{' && d[len(d)-1] == '}' && json.Valid(d) {
		dst = append(dst, d...)
	} else {
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, d)
		dst = append(dst, '"')
	}
	return append(dst, '}'), nil
}

// dataRecord is a record that encodes its Data with appendWithData;
// encode calls it directly.
type dataRecord interface {
	appendJSON(dst []byte) ([]byte, error)
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

// The records that carry Data: their encoding splices it in
// (appendWithData), their decoding reads either form through jsonData,
// whose field hides the embedded one (encoding/json takes the shallower
// of two fields with one name).

func (r codeRecord) appendJSON(dst []byte) ([]byte, error) {
	type plain codeRecord
	d := r.AuthorizationCode.Data
	r.AuthorizationCode.Data = nil
	return appendWithData(dst, plain(r), d)
}

func (r codeRecord) MarshalJSON() ([]byte, error) { return r.appendJSON(nil) }

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

func (r tokenRecord) appendJSON(dst []byte) ([]byte, error) {
	type plain tokenRecord
	d := r.Token.Data
	r.Token.Data = nil
	return appendWithData(dst, plain(r), d)
}

func (r tokenRecord) MarshalJSON() ([]byte, error) { return r.appendJSON(nil) }

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
