package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

func TestEncodeInt(t *testing.T) {
	for v, want := range map[int64]string{0: "020100", 127: "02017f", 128: "02020080", -1: "0201ff", -128: "020180", 256: "02020100", 1<<31 - 1: "02047fffffff"} {
		var e encoder
		e.int(tagInteger, v)
		if got := hex.EncodeToString(e.b); got != want {
			t.Errorf("%d: %s, want %s", v, got, want)
		}
		back, err := parseInt(e.b[2:])
		if err != nil || back != v {
			t.Errorf("%d parsed back as %d, %v", v, back, err)
		}
	}
}

func TestEncodeLengths(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 255, 256, 70000} {
		var e encoder
		m := e.open(tagSequence)
		e.b = append(e.b, bytes.Repeat([]byte{7}, n)...)
		e.close(m)
		tag, content, rest, err := tlv(e.b)
		if err != nil || tag != tagSequence || len(content) != n || len(rest) != 0 {
			t.Fatalf("%d: tag %x, %d bytes, rest %d, %v", n, tag, len(content), len(rest), err)
		}
		if want := len(appendLength(nil, n)); len(e.b) != 1+want+n {
			t.Errorf("%d: length not in its shortest form (%d bytes)", n, len(e.b))
		}
	}
	if _, _, _, err := tlv([]byte{0x30, 0x85, 1, 2, 3, 4, 5}); err == nil {
		t.Error("5-byte length accepted")
	}
	if _, _, _, err := tlv([]byte{0x04, 0x05, 'a'}); err == nil {
		t.Error("truncated value accepted")
	}
}

// TestFiltersMatchGoLDAP compares the hand-encoded filters with go-ldap's.
func TestFiltersMatchGoLDAP(t *testing.T) {
	for text, enc := range map[string]func(*encoder){
		"(&(objectClass=posixAccount)(uid=user000001))": func(e *encoder) {
			filterAnd(e, func(e *encoder) { filterEq(e, "objectClass", "posixAccount") },
				func(e *encoder) { filterEq(e, "uid", "user000001") })
		},
		"(cn=*Family0012*)":                       func(e *encoder) { filterAny(e, "cn", "Family0012") },
		"(objectClass=posixAccount)":              func(e *encoder) { filterEq(e, "objectClass", "posixAccount") },
		"(mail=" + strings.Repeat("x", 200) + ")": func(e *encoder) { filterEq(e, "mail", strings.Repeat("x", 200)) },
	} {
		p, err := ldap.CompileFilter(text)
		if err != nil {
			t.Fatal(err)
		}
		var e encoder
		enc(&e)
		if !bytes.Equal(e.b, p.Bytes()) {
			t.Errorf("%s:\n ours    %x\n go-ldap %x", text, e.b, p.Bytes())
		}
	}
}

// fakeServer answers one connection with handle, which gets each request's
// message ID, protocolOp tag and content and returns the raw responses.
func fakeServer(t *testing.T, handle func(id int64, op byte, body []byte) [][]byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		r := bufio.NewReader(nc)
		for {
			var hdr [6]byte
			if _, err := io.ReadFull(r, hdr[:2]); err != nil {
				return
			}
			n := int(hdr[1])
			if hdr[1] > 0x80 {
				k := int(hdr[1] & 0x7f)
				if _, err := io.ReadFull(r, hdr[2:2+k]); err != nil {
					return
				}
				n, _, _ = parseLength(hdr[1:])
			}
			msg := make([]byte, n)
			if _, err := io.ReadFull(r, msg); err != nil {
				return
			}
			idb, rest, _ := expect(msg, tagInteger)
			id, _ := parseInt(idb)
			op, body, _, _ := tlv(rest)
			for _, resp := range handle(id, op, body) {
				nc.Write(resp)
			}
		}
	}()
	return "ldap://" + ln.Addr().String()
}

// message encodes an LDAPMessage whose protocolOp content write fills.
func message(id int64, op byte, write func(e *encoder), controls func(e *encoder)) []byte {
	var e encoder
	m := e.open(tagSequence)
	e.int(tagInteger, id)
	o := e.open(op)
	write(&e)
	e.close(o)
	if controls != nil {
		c := e.open(0xa0)
		controls(&e)
		e.close(c)
	}
	e.close(m)
	return e.b
}

func ldapResult(code int64, msg string) func(*encoder) {
	return func(e *encoder) {
		e.int(tagEnumerated, code)
		e.str(tagOctetString, "")
		e.str(tagOctetString, msg)
	}
}

func pagedControl(cookie string) func(*encoder) {
	return func(e *encoder) {
		s := e.open(tagSequence)
		e.str(tagOctetString, pagedResultsOID)
		v := e.open(tagOctetString)
		p := e.open(tagSequence)
		e.int(tagInteger, 0)
		e.str(tagOctetString, cookie)
		e.close(p)
		e.close(v)
		e.close(s)
	}
}

func userEntryMessage(id int64, uid string) []byte {
	return message(id, 0x64, func(e *encoder) {
		e.str(tagOctetString, "uid="+uid+",ou=users,dc=example,dc=org")
		all := e.open(tagSequence)
		for name, value := range map[string]string{"cn": "A B", "UID": uid} {
			a := e.open(tagSequence)
			e.str(tagOctetString, name)
			s := e.open(tagSet)
			e.str(tagOctetString, value)
			e.close(s)
			e.close(a)
		}
		e.close(all)
	}, nil)
}

func TestClientAgainstFakeServer(t *testing.T) {
	pages := 0
	url := fakeServer(t, func(id int64, op byte, body []byte) [][]byte {
		switch op {
		case 0x60: // bind
			_, rest, _ := expect(body, tagInteger)
			dn, _, _ := expect(rest, tagOctetString)
			if string(dn) == "uid=ok" {
				return [][]byte{message(id, 0x61, ldapResult(0, ""), nil)}
			}
			return [][]byte{message(id, 0x61, ldapResult(49, "bad password"), nil)}
		case 0x63: // search: a stale answer first, then two pages of one entry
			pages++
			cookie := "next"
			if pages == 2 {
				cookie = ""
			}
			return [][]byte{
				message(id-1, 0x65, ldapResult(0, ""), nil),
				userEntryMessage(id, "user000001"),
				message(id, 0x65, ldapResult(0, ""), pagedControl(cookie)),
			}
		case 0x42: // unbind
			return nil
		}
		return [][]byte{message(0, 0x78, ldapResult(52, "going away"), nil)}
	})
	c, err := dialClient(url, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if err := c.bind("uid=ok", "pw"); err != nil {
		t.Fatal(err)
	}
	err = c.bind("uid=nok", "pw")
	if resultCode(err) != 49 || isConnError(err) || !strings.Contains(err.Error(), "Invalid Credentials (49): bad password") {
		t.Fatalf("bad bind: %v", err)
	}
	var dn, uid string
	req := &searchRequest{base: "ou=users", filter: func(e *encoder) { filterEq(e, "uid", "x") }, pageSize: 500,
		onEntry: func(body []byte) (err error) { dn, uid, err = entryValue(body, "uid"); return err }}
	n, err := c.search(req)
	if err != nil || n != 1 || string(req.nextCookie) != "next" || uid != "user000001" || !strings.HasPrefix(dn, "uid=user000001,") {
		t.Fatalf("page 1: %d %v cookie %q uid %q dn %q", n, err, req.nextCookie, uid, dn)
	}
	req.cookie = req.nextCookie
	if n, err := c.search(req); err != nil || n != 1 || req.nextCookie != nil {
		t.Fatalf("page 2: %d %v cookie %q", n, err, req.nextCookie)
	}
	// Anything else gets a notice of disconnection.
	c.start()
	m := c.enc.open(tagSequence)
	c.enc.int(tagInteger, c.lastID)
	c.enc.str(0x50, "") // [APPLICATION 16] AbandonRequest, not answered normally
	c.enc.close(m)
	if err := c.send(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.read(); !isConnError(err) || !strings.Contains(err.Error(), "going away") {
		t.Fatalf("notice: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	if _, err := dialClient("ldaps://127.0.0.1:636", time.Second); err == nil || !strings.Contains(err.Error(), "ldap://HOST:PORT") {
		t.Errorf("ldaps: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := dialClient("ldap://"+addr, time.Second); err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("closed port: %v", err)
	}
}
