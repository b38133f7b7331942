package ldap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// pool keeps connections to the directory. Service connections stay bound
// as BIND_DN; user connections are rebound for every password check and
// never used for anything else, so that a user's identity never leaks into
// a service request.
//
// A connection is dropped when go-ldap reports it closing, when it is older
// than PoolMaxLifetime, and after a network error; the operation is then
// retried on a fresh connection (RetryMax times, RetryDelay apart), which is
// how the pool recovers after the server restarts. LDAP result errors
// (noSuchObject, invalidCredentials…) are never retried.
type pool struct {
	cfg  Config
	dial func(ctx context.Context) (*ldap.Conn, error)

	mu     sync.Mutex
	idle   []*pconn // service connections
	sem    chan struct{}
	closed bool

	// roundTrips counts the LDAP requests sent (binds included, dials not).
	roundTrips atomic.Int64
	// dials counts the connections opened.
	dials atomic.Int64
}

type pconn struct {
	c       *ldap.Conn
	created time.Time
}

func newPool(cfg Config) (*pool, error) {
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	p := &pool{cfg: cfg, sem: make(chan struct{}, cfg.PoolSize)}
	p.dial = func(ctx context.Context) (*ldap.Conn, error) {
		d := &net.Dialer{Timeout: cfg.Timeout}
		c, err := ldap.DialURL(cfg.URI, ldap.DialWithDialer(d), ldap.DialWithTLSConfig(tlsCfg))
		if err != nil {
			return nil, err
		}
		p.dials.Add(1)
		c.SetTimeout(cfg.Timeout)
		if cfg.StartTLS {
			p.countTrip()
			if err := c.StartTLS(tlsCfg); err != nil {
				c.Close()
				return nil, fmt.Errorf("StartTLS: %w", err)
			}
		}
		return c, nil
	}
	return p, nil
}

// get returns a bound service connection, waiting for a free slot.
func (p *pool) get(ctx context.Context) (*pconn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.sem
		return nil, errors.New("ldap: store closed")
	}
	for len(p.idle) > 0 {
		pc := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if pc.c.IsClosing() || time.Since(pc.created) > p.cfg.PoolMaxLifetime {
			pc.c.Close()
			continue
		}
		p.mu.Unlock()
		return pc, nil
	}
	p.mu.Unlock()
	c, err := p.dial(ctx)
	if err == nil {
		p.countTrip()
		if err = c.Bind(p.cfg.BindDN, p.cfg.BindPW); err != nil {
			c.Close()
			err = fmt.Errorf("bind as the service account: %w", err)
		}
	}
	if err != nil {
		<-p.sem
		return nil, err
	}
	return &pconn{c: c, created: time.Now()}, nil
}

// put gives a connection back; broken ones are closed.
func (p *pool) put(pc *pconn, err error) {
	defer func() { <-p.sem }()
	if isNetworkError(err) || pc.c.IsClosing() {
		pc.c.Close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		pc.c.Close()
		return
	}
	p.idle = append(p.idle, pc)
}

// do runs fn on a service connection, retrying on a fresh connection after
// a network error.
func (p *pool) do(ctx context.Context, fn func(c *ldap.Conn) error) error {
	var err error
	for attempt := 0; attempt <= p.cfg.RetryMax; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(p.cfg.RetryDelay):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err = ctx.Err(); err != nil {
			return err
		}
		var pc *pconn
		pc, err = p.get(ctx)
		if err != nil {
			if isNetworkError(err) {
				continue
			}
			return err
		}
		err = fn(pc.c)
		p.put(pc, err)
		if !isNetworkError(err) {
			return err
		}
	}
	return err
}

// close closes the idle connections; connections in use are closed when
// given back.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, pc := range p.idle {
		pc.c.Close()
	}
	p.idle = nil
}

// isNetworkError reports an error of the connection rather than an LDAP
// result: dial failures, closed connections, timeouts.
func isNetworkError(err error) bool {
	if err == nil {
		return false
	}
	if ldap.IsErrorAnyOf(err, ldap.ErrorNetwork, ldap.LDAPResultTimeout, ldap.ErrorUnexpectedResponse) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode == ldap.ErrorNetwork || le.ResultCode == ldap.LDAPResultServerDown ||
			le.ResultCode == ldap.LDAPResultUnavailable || le.ResultCode == ldap.LDAPResultBusy
	}
	return false
}

// userConns keeps connections that only ever carry user binds.
type userConns struct {
	p    *pool
	mu   sync.Mutex
	idle []*pconn
}

// bind binds as dn with password on a user connection, with the request
// controls given, and returns the response controls. Network errors are
// retried on a fresh connection.
func (u *userConns) bind(ctx context.Context, dn, password string, controls []ldap.Control) (*ldap.SimpleBindResult, error) {
	var err error
	for attempt := 0; attempt <= u.p.cfg.RetryMax; attempt++ {
		if attempt > 0 {
			time.Sleep(u.p.cfg.RetryDelay)
		}
		pc := u.take()
		if pc == nil {
			var c *ldap.Conn
			if c, err = u.p.dial(ctx); err != nil {
				if isNetworkError(err) {
					continue
				}
				return nil, err
			}
			pc = &pconn{c: c, created: time.Now()}
		}
		u.p.countTrip()
		var res *ldap.SimpleBindResult
		res, err = pc.c.SimpleBind(&ldap.SimpleBindRequest{Username: dn, Password: password, Controls: controls})
		if isNetworkError(err) || pc.c.IsClosing() {
			pc.c.Close()
			if isNetworkError(err) {
				continue
			}
		} else {
			u.give(pc)
		}
		return res, err
	}
	return nil, err
}

func (u *userConns) take() *pconn {
	u.mu.Lock()
	defer u.mu.Unlock()
	for len(u.idle) > 0 {
		pc := u.idle[len(u.idle)-1]
		u.idle = u.idle[:len(u.idle)-1]
		if !pc.c.IsClosing() && time.Since(pc.created) <= u.p.cfg.PoolMaxLifetime {
			return pc
		}
		pc.c.Close()
	}
	return nil
}

func (u *userConns) give(pc *pconn) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.idle) >= u.p.cfg.PoolSize {
		pc.c.Close()
		return
	}
	u.idle = append(u.idle, pc)
}

func (u *userConns) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, pc := range u.idle {
		pc.c.Close()
	}
	u.idle = nil
}

// allRoundTrips counts the LDAP requests of every store of the process,
// for end-to-end measurements (TotalRoundTrips).
var allRoundTrips atomic.Int64

func (p *pool) countTrip() {
	p.roundTrips.Add(1)
	allRoundTrips.Add(1)
}

// TotalRoundTrips returns the number of LDAP requests sent by every store
// of this process so far, for tests and benchmarks that cannot reach the
// store itself (a server started by cmd/canaille).
func TotalRoundTrips() int64 { return allRoundTrips.Load() }
