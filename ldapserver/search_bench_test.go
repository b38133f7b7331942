package ldapserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/password"
)

// The benchmarks of this file drive a whole server (gateway, gldap,
// directory) over loopback with the searches of cmd/canaille-bench, from
// a client that allocates nothing per operation, so that allocs/op is the
// server's. cpu-µs/op is the CPU time of the process (server and client)
// per operation.

const benchUsers = 2000

var benchDir struct {
	once sync.Once
	addr string
	tmp  string // removed by TestMain
	err  error
}

// benchServer starts, once per test binary, a server over benchUsers
// users shaped like canaille-bench's (cn "GivenNNNNNN FamilyNNNNNN",
// posixAccount) and a service account svc.
func benchServer(b testing.TB) string {
	benchDir.once.Do(func() {
		benchDir.addr, benchDir.err = startBenchServer()
	})
	if benchDir.err != nil {
		b.Fatal(benchDir.err)
	}
	return benchDir.addr
}

func startBenchServer() (string, error) {
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "ldapserver-bench")
	if err != nil {
		return "", err
	}
	benchDir.tmp = dir
	st, err := bolt.Config{Path: filepath.Join(dir, "c.db"), Hasher: h, NoSync: true}.Open()
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	users := make([]store.User, benchUsers)
	for i := range users {
		given, family := fmt.Sprintf("Given%06d", i), fmt.Sprintf("Family%06d", i)
		name := fmt.Sprintf("user%06d", i)
		users[i] = store.User{UserName: name, GivenName: given, FamilyName: family,
			FormattedName: given + " " + family, Emails: []string{name + "@example.org"},
			UIDNumber: uint32(100000 + i), GIDNumber: uint32(100000 + i), HomeDirectory: "/home/" + name,
			LoginShell: "/bin/bash"}
	}
	if err := st.Import(ctx, users, nil); err != nil {
		return "", err
	}
	svc, err := st.CreateUser(ctx, store.User{UserName: "svc", FamilyName: "Service"})
	if err != nil {
		return "", err
	}
	if err := st.SetPassword(ctx, svc.ID, "service-password"); err != nil {
		return "", err
	}
	policy, err := acl.Compile(nil)
	if err != nil {
		return "", err
	}
	srv, err := New(Config{Listen: "127.0.0.1:0", RootDN: "dc=example,dc=org", BindCacheTTL: time.Minute,
		Secret: []byte(strings.Repeat("s", 32)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, st, policy)
	if err != nil {
		return "", err
	}
	if err := srv.Start(ctx); err != nil {
		return "", err
	}
	return srv.Addrs()[0], nil
}

// benchClient is a synchronous raw LDAP connection.
type benchClient struct {
	nc  net.Conn
	r   *bufio.Reader
	buf []byte
}

func dialBench(b testing.TB, addr string) *benchClient {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	c := &benchClient{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), buf: make([]byte, 0, 64<<10)}
	bind := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	bind.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(1), ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "uid=svc,ou=users,dc=example,dc=org", ""))
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "service-password", ""))
	bind.AppendChild(op)
	if _, err := nc.Write(bind.Bytes()); err != nil {
		b.Fatal(err)
	}
	frame, err := c.read()
	if err != nil {
		b.Fatal(err)
	}
	if p, _, err := decodeMessage(frame); err != nil || resultCode(p) != resultSuccess {
		b.Fatalf("bind: %v %v", err, p)
	}
	return c
}

// read reads one message into the client's buffer.
func (c *benchClient) read() ([]byte, error) {
	hdr, err := c.r.Peek(2)
	if err != nil {
		return nil, err
	}
	n, l := int(hdr[1]), 2
	if hdr[1]&0x80 != 0 {
		k := int(hdr[1] & 0x7f)
		h, err := c.r.Peek(2 + k)
		if err != nil {
			return nil, err
		}
		n = 0
		for _, x := range h[2:] {
			n = n<<8 | int(x)
		}
		l += k
	}
	c.buf = c.buf[:l+n]
	_, err = io.ReadFull(c.r, c.buf)
	return c.buf, err
}

// search sends a request and reads the answers up to SearchResultDone;
// it returns the entries and the done message.
func (c *benchClient) search(req []byte) (int, []byte, error) {
	if _, err := c.nc.Write(req); err != nil {
		return 0, nil, err
	}
	n := 0
	for {
		frame, err := c.read()
		if err != nil {
			return n, nil, err
		}
		_, op, err := envelope(frame)
		if err != nil {
			return n, nil, err
		}
		switch op {
		case 0x64:
			n++
		case 0x65:
			return n, frame, nil
		}
	}
}

// searchRequest encodes a search under ou=users for nslcd's passwd
// attributes.
func benchSearchRequest(id int64, filter *ber.Packet, sizeLimit int64, controls *ber.Packet) []byte {
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 3, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "ou=users,dc=example,dc=org", ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(2), ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, sizeLimit, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""))
	op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	op.AppendChild(filter)
	attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, a := range []string{"uid", "uidNumber", "gidNumber", "cn", "gecos", "homeDirectory", "loginShell"} {
		attrs.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a, ""))
	}
	op.AppendChild(attrs)
	msg.AppendChild(op)
	if controls != nil {
		msg.AppendChild(controls)
	}
	return msg.Bytes()
}

func benchEq(attr, value string) *ber.Packet {
	p := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, attr, ""))
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, value, ""))
	return p
}

func benchAnd(kids ...*ber.Packet) *ber.Packet {
	p := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
	for _, k := range kids {
		p.AppendChild(k)
	}
	return p
}

func benchAny(attr, value string) *ber.Packet {
	p := ber.Encode(ber.ClassContext, ber.TypeConstructed, 4, nil, "")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, attr, ""))
	s := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	s.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 1, value, ""))
	p.AppendChild(s)
	return p
}

func benchPaging(size int64, cookie []byte) *ber.Packet {
	controls := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
	c := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	c.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, controlPaging, ""))
	v := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	v.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, size, ""))
	v.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(cookie), ""))
	val := ber.Encode(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, nil, "")
	val.Data.Write(v.Bytes())
	c.AppendChild(val)
	controls.AppendChild(c)
	return controls
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runBench runs op b.N times and reports the CPU time per operation.
func runBench(b *testing.B, op func(i int) error) {
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

func BenchmarkServerSearchEq(b *testing.B) {
	c := dialBench(b, benchServer(b))
	reqs := make([][]byte, benchUsers)
	for i := range reqs {
		reqs[i] = benchSearchRequest(int64(2+i), benchAnd(benchEq("objectClass", "posixAccount"),
			benchEq("uid", fmt.Sprintf("user%06d", i))), 0, nil)
	}
	runBench(b, func(i int) error {
		n, _, err := c.search(reqs[(i*7919)%benchUsers])
		if err == nil && n != 1 {
			err = fmt.Errorf("%d entries", n)
		}
		return err
	})
}

func BenchmarkServerSearchSub(b *testing.B) {
	c := dialBench(b, benchServer(b))
	reqs := make([][]byte, benchUsers/100)
	for i := range reqs {
		reqs[i] = benchSearchRequest(int64(2+i), benchAnd(benchEq("objectClass", "posixAccount"),
			benchAny("cn", fmt.Sprintf("Family%04d", i))), 100, nil)
	}
	runBench(b, func(i int) error {
		n, _, err := c.search(reqs[i%len(reqs)])
		if err == nil && n != 100 {
			err = fmt.Errorf("%d entries", n)
		}
		return err
	})
}

func BenchmarkServerSearchAll(b *testing.B) {
	c := dialBench(b, benchServer(b))
	filter := benchEq("objectClass", "posixAccount")
	runBench(b, func(i int) error {
		var cookie []byte
		total := 0
		for {
			n, done, err := c.search(benchSearchRequest(2, filter, 0, benchPaging(500, cookie)))
			if err != nil {
				return err
			}
			total += n
			p := ber.DecodePacket(done)
			cookie = nil
			if len(p.Children) > 2 {
				for _, ctl := range p.Children[2].Children {
					if len(ctl.Children) > 1 && string(octets(ctl.Children[0])) == controlPaging {
						v := ber.DecodePacket(octets(ctl.Children[len(ctl.Children)-1]))
						cookie = octets(v.Children[1])
					}
				}
			}
			if len(cookie) == 0 {
				break
			}
		}
		if total != benchUsers+1 { // and svc
			return fmt.Errorf("%d entries", total)
		}
		return nil
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir.tmp != "" {
		os.RemoveAll(benchDir.tmp)
	}
	os.Exit(code)
}
