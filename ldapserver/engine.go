package ldapserver

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"
)

// engine is the gldap side: a gldap server on an internal loopback
// listener that serves the searches and writes the gateway forwards. Each
// client connection gets one internal connection, which the gateway
// registers with a one-time random token before forwarding anything; an
// internal connection without a registration gets no data, so the
// internal port is useless to anybody else who reaches it.
type engine struct {
	srv  *Server
	g    *gldap.Server
	addr string
	done chan error

	mu       sync.Mutex
	pending  map[string]*session // registration token -> session
	sessions map[int]*session    // gldap connection ID -> session
}

// registrationDN names the registration bind of internal connections.
const registrationDN = "cn=canaille-gateway-registration"

// registrationMsgID is the message ID of the registration bind.
const registrationMsgID = 0x7fffffff

func startEngine(s *Server) (*engine, error) {
	e := &engine{srv: s, pending: map[string]*session{}, sessions: map[int]*session{}, done: make(chan error, 1)}
	listening := make(chan string, 1)
	logger := &gldapLogger{Logger: hclog.NewNullLogger(), log: s.log, listening: listening}
	g, err := gldap.NewServer(gldap.WithLogger(logger), gldap.WithOnClose(e.closed))
	if err != nil {
		return nil, fmt.Errorf("ldapserver: %w", err)
	}
	mux, err := gldap.NewMux()
	if err != nil {
		return nil, fmt.Errorf("ldapserver: %w", err)
	}
	for _, err := range []error{
		mux.Bind(e.handler(e.register)),
		mux.Search(e.handler(e.counted(e.search))),
		mux.Add(e.handler(e.counted(e.add))),
		mux.Modify(e.handler(e.counted(e.modify))),
		mux.Delete(e.handler(e.counted(e.delete))),
		mux.DefaultRoute(e.handler(e.unsupported)),
	} {
		if err != nil {
			return nil, fmt.Errorf("ldapserver: %w", err)
		}
	}
	if err := g.Router(mux); err != nil {
		return nil, fmt.Errorf("ldapserver: %w", err)
	}
	e.g = g
	go func() { e.done <- g.Run("127.0.0.1:0") }()
	// gldap owns its listener and does not tell its address; it logs it
	// once it listens, and our logger catches that line.
	select {
	case e.addr = <-listening:
		return e, nil
	case err := <-e.done:
		return nil, fmt.Errorf("ldapserver: internal engine: %v", err)
	case <-time.After(10 * time.Second):
		g.Stop()
		return nil, errors.New("ldapserver: internal engine did not start")
	}
}

// stop stops gldap without waiting forever: Stop blocks until every
// internal connection closes (LIBRARIES.md 1.5), and the gateway closes
// them as its clients go.
func (e *engine) stop(ctx context.Context) {
	done := make(chan struct{})
	go func() { e.g.Stop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
}

// connect opens and registers the internal connection of a session.
func (e *engine) connect(se *session) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var raw [32]byte
	rand.Read(raw[:])
	token := hex.EncodeToString(raw[:])
	e.mu.Lock()
	e.pending[token] = se
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.pending, token)
		e.mu.Unlock()
	}()
	req := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(registrationMsgID), ""))
	bind := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "")
	bind.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	bind.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, registrationDN, ""))
	bind.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, token, ""))
	req.AppendChild(bind)
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(req.Bytes()); err != nil {
		conn.Close()
		return nil, err
	}
	frame, err := readFrame(bufio.NewReader(io.LimitReader(conn, 4096)), 4096)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("registration: %w", err)
	}
	id, _, _ := envelope(frame)
	op, _, err := decodeMessage(frame)
	if err != nil || id != registrationMsgID || resultCode(op) != resultSuccess {
		conn.Close()
		return nil, errors.New("registration refused")
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// resultCode reads the enumerated result code of an LDAPResult.
func resultCode(op *ber.Packet) int {
	if len(op.Children) == 0 {
		return -1
	}
	code := 0
	for _, b := range octets(op.Children[0]) {
		code = code<<8 | int(b)
	}
	return code
}

// register answers the registration bind of an internal connection; any
// other bind on an internal connection is refused.
func (e *engine) register(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewBindResponse(gldap.WithResponseCode(gldap.ResultInvalidCredentials))
	defer func() { w.Write(resp) }()
	m, err := r.GetSimpleBindMessage()
	if err != nil || m.UserName != registrationDN {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for token, se := range e.pending {
		if subtle.ConstantTimeCompare([]byte(token), []byte(m.Password)) == 1 {
			delete(e.pending, token)
			e.sessions[r.ConnectionID()] = se
			resp.SetResultCode(gldap.ResultSuccess)
			return
		}
	}
}

// closed forgets the session of a closed internal connection.
func (e *engine) closed(connID int) {
	e.mu.Lock()
	delete(e.sessions, connID)
	e.mu.Unlock()
}

// session returns the client session an internal connection serves.
func (e *engine) session(r *gldap.Request) *session {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sessions[r.ConnectionID()]
}

// handler wraps a request handler: registration check, panic recovery
// (a panic in a gldap handler would kill the process: LIBRARIES.md G4).
func (e *engine) handler(fn func(*gldap.ResponseWriter, *gldap.Request)) gldap.HandlerFunc {
	return func(w *gldap.ResponseWriter, r *gldap.Request) {
		_ = growStack(stackIndex)
		defer func() {
			if rec := recover(); rec != nil {
				e.srv.log.Error("LDAP engine handler panicked", "panic", rec, "stack", string(debug.Stack()))
				w.Write(r.NewResponse(gldap.WithResponseCode(gldap.ResultOther), gldap.WithDiagnosticMessage("internal error")))
			}
		}()
		fn(w, r)
	}
}

// counted releases the in-flight slot the gateway took when it forwarded
// the request (see session.inflight).
func (e *engine) counted(fn func(*gldap.ResponseWriter, *gldap.Request)) func(*gldap.ResponseWriter, *gldap.Request) {
	return func(w *gldap.ResponseWriter, r *gldap.Request) {
		if se := e.session(r); se != nil {
			defer func() { <-se.inflight }()
		}
		fn(w, r)
	}
}

// unsupported answers what the gateway never forwards.
func (e *engine) unsupported(w *gldap.ResponseWriter, r *gldap.Request) {
	w.Write(r.NewResponse(gldap.WithResponseCode(gldap.ResultUnwillingToPerform)))
}

// gldapLogger bridges gldap's hclog logging: it catches the "listening"
// line to learn the internal address, passes warnings and errors on, and
// drops debug output, which prints bind passwords (LIBRARIES.md 1.7).
type gldapLogger struct {
	hclog.Logger
	log       *slog.Logger
	listening chan string
}

func (l *gldapLogger) Info(msg string, args ...any) {
	if msg == "listening" {
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "addr" {
				select {
				case l.listening <- fmt.Sprint(args[i+1]):
				default:
				}
			}
		}
	}
}

func (l *gldapLogger) Warn(msg string, args ...any)  { l.log.Warn("gldap: "+msg, args...) }
func (l *gldapLogger) Error(msg string, args ...any) { l.log.Error("gldap: "+msg, args...) }
func (l *gldapLogger) IsDebug() bool                 { return false }
func (l *gldapLogger) IsTrace() bool                 { return false }

// growStack makes the goroutine's stack large enough for a request at
// once, while it is nearly empty: gldap runs each request in a new
// goroutine with a small stack, and letting it grow in steps deep inside
// a search copied the stack several times per request. The index keeps
// the compiler from removing the array.
//
//go:noinline
func growStack(i int) byte {
	var pad [16 << 10]byte
	pad[i] = byte(i)
	return pad[(i*7919)%len(pad)]
}

// stackIndex is not a constant, so that growStack keeps its array.
var stackIndex = 1
