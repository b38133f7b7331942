package ldapserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/canaille-go/canaille/internal/oplog"
)

// tlsHandshakeTimeout bounds a TLS handshake (LDAPS or StartTLS).
const tlsHandshakeTimeout = 10 * time.Second

// serveConn runs one client connection: it reads each LDAPMessage, answers
// the operations the gateway owns and forwards the others to the engine.
func (s *Server) serveConn(conn net.Conn, implicitTLS bool) {
	se := &session{id: s.nextID.Add(1), remote: conn.RemoteAddr().String(), srv: s, conn: conn,
		w: bufio.NewWriterSize(conn, 32<<10), pages: map[string]*pagedSearch{},
		inflight: make(chan struct{}, maxInflight)}
	se.tls.Store(implicitTLS)
	se.touch()
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.sessions[se.id] = se
	s.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("LDAP connection panicked", "conn", se.id, "panic", r, "stack", string(debug.Stack()))
		}
		s.mu.Lock()
		delete(s.sessions, se.id)
		s.mu.Unlock()
		se.closed.Store(true)
		conn.Close()
		se.innerMu.Lock()
		if se.inner != nil {
			se.inner.Close()
		}
		se.innerMu.Unlock()
	}()
	if tc, ok := conn.(*tls.Conn); ok {
		tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
		if err := tc.Handshake(); err != nil {
			s.log.Debug("LDAPS handshake failed", "remote", se.remote, "error", err)
			return
		}
		tc.SetDeadline(time.Time{})
	}
	r := bufio.NewReaderSize(conn, 16<<10)
	// Requests are handled, and forwarded, before the next one is read:
	// small ones reuse one buffer (every decoder copies what it keeps).
	var buf []byte
	for {
		frame, err := s.readClient(se, r, buf)
		if err != nil {
			if !errors.Is(err, io.EOF) && !se.closed.Load() && !s.closing.Load() {
				if errors.Is(err, errIdle) {
					se.disconnect(resultUnavailable, "idle timeout")
				} else if !isNetClosed(err) {
					s.log.Info("LDAP connection dropped", "conn", se.id, "remote", se.remote, "error", err)
					se.disconnect(resultProtocolError, "malformed message")
				}
			}
			return
		}
		if cap(frame) <= maxReusedFrame {
			buf = frame[:0]
		}
		id, op, err := envelope(frame)
		if err != nil {
			se.disconnect(resultProtocolError, err.Error())
			return
		}
		switch op {
		case opSearchRequest, opModifyRequest, opAddRequest, opDelRequest:
			if err := s.forward(se, frame); err != nil {
				s.log.Error("LDAP engine unreachable", "conn", se.id, "error", err)
				se.disconnect(resultUnavailable, "internal error")
				return
			}
		case opUnbindRequest:
			return
		case opAbandonRequest:
			s.abandon(se, frame)
		case opExtendedRequest:
			if !s.extended(se, id, frame, r) {
				return
			}
		case opBindRequest, opCompareRequest, opModifyDNRequest:
			s.answer(se, id, op, frame)
		default:
			se.disconnect(resultProtocolError, fmt.Sprintf("unknown operation 0x%02x", op))
			return
		}
	}
}

var errIdle = errors.New("ldapserver: idle timeout")

// readClient reads the next message, enforcing the idle timeout: the
// connection is idle when neither side sent anything for that long.
func (s *Server) readClient(se *session, r *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		if s.cfg.IdleTimeout > 0 {
			last := time.Unix(0, se.lastActivity.Load())
			se.conn.SetReadDeadline(last.Add(s.cfg.IdleTimeout))
		}
		frame, err := readFrameInto(r, s.cfg.MaxMessageSize, buf)
		if err == nil {
			se.touch()
			return frame, nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && r.Buffered() == 0 {
			if time.Since(time.Unix(0, se.lastActivity.Load())) < s.cfg.IdleTimeout {
				continue // responses were sent meanwhile: not idle
			}
			return nil, errIdle
		}
		return nil, err
	}
}

func isNetClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded)
}

// answer runs an operation the gateway owns and writes its response.
func (s *Server) answer(se *session, id int64, op byte, frame []byte) {
	ctx := s.ctx
	start := time.Now()
	var resp []byte
	var code int
	var name string
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("LDAP operation panicked", "conn", se.id, "panic", r, "stack", string(debug.Stack()))
				code, resp = resultOther, result(id, responseApp(op), resultOther, "", "internal error")
			}
		}()
		if _, controls, err := parseMessage(frame); err == nil {
			if oid := unsupportedCritical(controls); oid != "" {
				name = "refused"
				code = resultUnavailableCriticalExt
				resp = result(id, responseApp(op), code, "", "unsupported critical control "+oid)
				return
			}
		}
		switch op {
		case opBindRequest:
			name = "bind"
			resp, code = s.bind(ctx, se, id, frame)
		case opCompareRequest:
			name = "compare"
			resp, code = s.compare(ctx, se, id, frame)
		case opModifyDNRequest:
			name = "modrdn"
			resp, code = s.modifyDN(ctx, se, id, frame)
		}
	}()
	se.write(resp)
	s.logOp(se, name, id, code, start)
}

// responseApp is the response tag of a request the gateway answers.
func responseApp(op byte) ber.Tag {
	switch op {
	case opBindRequest:
		return appBindResponse
	case opCompareRequest:
		return appCompareResponse
	case opModifyDNRequest:
		return appModifyDNResponse
	}
	return appExtendedResponse
}

// logOp writes the one line of an operation: never a password.
func (s *Server) logOp(se *session, op string, id int64, code int, start time.Time, extra ...slog.Attr) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(observedOp(op), code, time.Since(start))
	}
	if !s.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	se.idmu.Lock()
	dn := se.who.dn
	se.idmu.Unlock()
	var buf [10]slog.Attr
	attrs := append(buf[:0], slog.Uint64("conn", se.id), slog.String("remote", se.remote), slog.Int64("msgid", id),
		slog.String("bind_dn", dn), slog.Int("result", code), slog.Duration("duration", time.Since(start)))
	oplog.Info(context.Background(), s.log, opMessage(op), append(attrs, extra...)...)
}

// observedOp bounds the operation names given to Config.Observe: an
// extended operation of an unknown OID is "extended other".
func observedOp(op string) string {
	switch op {
	case "extended starttls", "extended whoami", "extended passwd":
		return op
	}
	if strings.HasPrefix(op, "extended ") {
		return "extended other"
	}
	if op == "" {
		return "other"
	}
	return op
}

// opMessage is the message of an operation's log line.
func opMessage(op string) string {
	switch op {
	case "search":
		return "LDAP search"
	case "bind":
		return "LDAP bind"
	case "add":
		return "LDAP add"
	case "modify":
		return "LDAP modify"
	case "delete":
		return "LDAP delete"
	case "compare":
		return "LDAP compare"
	}
	return "LDAP " + op
}

// maxInflight bounds the forwarded requests of one connection that wait
// for their answer; the next one waits (the client is read no further).
const maxInflight = 64

// forward sends a request to the engine on the connection's internal
// connection, opening and registering it first if needed.
func (s *Server) forward(se *session, frame []byte) error {
	select {
	case se.inflight <- struct{}{}:
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	se.innerMu.Lock()
	defer se.innerMu.Unlock()
	if se.inner == nil {
		inner, err := s.engine.connect(se)
		if err != nil {
			return err
		}
		se.inner = inner
		go s.relay(se, inner)
	}
	se.inner.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := se.inner.Write(frame)
	return err
}

// relay copies the engine's responses to the client, unchanged.
func (s *Server) relay(se *session, inner net.Conn) {
	r := bufio.NewReaderSize(inner, 32<<10)
	var buf []byte
	for {
		frame, err := readFrameInto(r, s.cfg.MaxMessageSize+1<<20, buf)
		if err != nil {
			if !se.closed.Load() && !errors.Is(err, net.ErrClosed) {
				se.disconnect(resultUnavailable, "internal error")
			}
			return
		}
		// Frames that arrived together leave together: flush only when
		// nothing more is buffered (the engine writes whole frames).
		if err := se.relayWrite(frame, r.Buffered() == 0); err != nil {
			se.conn.Close()
			inner.Close()
			return
		}
		if cap(frame) <= maxReusedFrame {
			buf = frame[:0] // relayWrite copied it
		}
	}
}

// abandon marks a request abandoned; the engine checks the mark between
// search entries. There is no response (RFC 4511 4.11).
func (s *Server) abandon(se *session, frame []byte) {
	op, _, err := parseMessage(frame)
	if err != nil {
		return
	}
	target := intOf(op.content)
	// Abandons of finished requests are never looked at again: bound
	// what a client can make the connection keep.
	if se.abandonCount.Add(1) > maxAbandoned {
		se.abandoned.Clear()
		se.abandonCount.Store(1)
	}
	se.abandoned.Store(target, struct{}{})
}

// maxAbandoned bounds the abandoned message IDs a connection remembers.
const maxAbandoned = 1024

// isAbandoned reports (and forgets) whether a request was abandoned.
func (se *session) isAbandoned(id int64) bool {
	_, ok := se.abandoned.Load(id)
	return ok
}

// extended answers an extended operation; it reports false when the
// connection must end.
func (s *Server) extended(se *session, id int64, frame []byte, r *bufio.Reader) bool {
	start := time.Now()
	op, controls, err := parseMessage(frame)
	var buf [2]element
	var parts []element
	if err == nil {
		parts, err = elements(op.content, buf[:0])
	}
	if err != nil || len(parts) == 0 {
		se.write(extendedResult(id, resultProtocolError, "malformed extended request", "", nil))
		return true
	}
	if oid := unsupportedCritical(controls); oid != "" {
		se.write(extendedResult(id, resultUnavailableCriticalExt, "unsupported critical control "+oid, "", nil))
		return true
	}
	name := string(parts[0].content)
	var value []byte
	if len(parts) > 1 {
		value = parts[1].content
	}
	var resp []byte
	var code int
	switch name {
	case oidStartTLS:
		return s.startTLS(se, id, r)
	case oidWhoAmI:
		resp, code = s.whoAmI(se, id)
	case oidPasswordModify:
		func() {
			defer func() {
				if rec := recover(); rec != nil {
					s.log.Error("LDAP password modify panicked", "conn", se.id, "panic", rec, "stack", string(debug.Stack()))
					code, resp = resultOther, extendedResult(id, resultOther, "internal error", "", nil)
				}
			}()
			resp, code = s.passwordModify(context.WithoutCancel(s.ctx), se, id, value)
		}()
	default:
		code = resultProtocolError
		resp = extendedResult(id, code, "unsupported extended operation "+name, "", nil)
	}
	se.write(resp)
	s.logOp(se, "extended "+extendedName(name), id, code, start)
	return true
}

// Extended operation OIDs.
const (
	oidStartTLS       = "1.3.6.1.4.1.1466.20037"
	oidWhoAmI         = "1.3.6.1.4.1.4203.1.11.3"
	oidPasswordModify = "1.3.6.1.4.1.4203.1.11.1"
)

func extendedName(oid string) string {
	switch oid {
	case oidStartTLS:
		return "starttls"
	case oidWhoAmI:
		return "whoami"
	case oidPasswordModify:
		return "passwd"
	}
	return oid
}

// startTLS upgrades the connection (RFC 4511 4.14). It reports false when
// the connection must end.
func (s *Server) startTLS(se *session, id int64, r *bufio.Reader) bool {
	switch {
	case s.cfg.TLS == nil:
		se.write(extendedResult(id, resultProtocolError, "StartTLS is not configured on this server", "", nil))
		return true
	case se.tls.Load():
		se.write(extendedResult(id, resultOperationsError, "TLS is already active", "", nil))
		return true
	case r.Buffered() > 0:
		// The client sent more before the answer: a protocol error.
		se.disconnect(resultProtocolError, "data after StartTLS request")
		return false
	}
	// Responses to requests forwarded earlier that arrive after the switch
	// travel over TLS: the relay writes through se.conn under wmu.
	se.wmu.Lock()
	defer se.wmu.Unlock()
	se.w.Write(extendedResult(id, resultSuccess, "", oidStartTLS, nil))
	if err := se.w.Flush(); err != nil {
		return false
	}
	tc := tls.Server(se.conn, s.cfg.TLS)
	tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		s.log.Info("StartTLS handshake failed", "conn", se.id, "remote", se.remote, "error", err)
		return false
	}
	tc.SetDeadline(time.Time{})
	se.conn = tc
	se.w = bufio.NewWriterSize(tc, 32<<10)
	r.Reset(tc)
	se.tls.Store(true)
	s.logOp(se, "extended starttls", id, resultSuccess, time.Now())
	return true
}
