package bolt

import (
	"context"
	"errors"
	"fmt"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// Group commit. Every bbolt write transaction ends with an fsync; under
// load, concurrent small writes (an OIDC token per request) spend their
// time waiting for each other's fsync. groupUpdate lets the writes that
// arrive while a commit is in progress share the next one: the first
// caller becomes the leader and commits, in one transaction, every write
// queued when it starts; callers that arrive meanwhile queue up and the
// first of them leads the next commit. Unlike bbolt's DB.Batch there is
// no timer: a write alone commits at once, and a group is exactly what
// accumulated during the previous commit.
//
// Each caller returns only after the transaction holding its write is
// committed (durability is unchanged), with that commit's error. A
// function that fails is taken out of the group, which is committed
// without it, and is then run alone in a transaction of its own, so that
// its error is its own (functions may therefore run more than once, and
// must only touch the transaction they are given).

// group is the queue of a Store's group commits.
type group struct {
	mu     sync.Mutex
	queue  []*groupCall
	active bool // a leader is committing
}

type groupCall struct {
	fn   func(*bbolt.Tx) error
	done chan error // buffered: the result, errLead or errAlone
}

var (
	// errLead tells a queued caller to lead the next commit.
	errLead = errors.New("bolt: lead the next group commit")
	// errAlone tells a caller that its function failed within a group:
	// run it in a transaction of its own.
	errAlone = errors.New("bolt: run alone")
)

// groupUpdate is s.update for writes that may share a commit with others.
func (s *Store) groupUpdate(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.cfg.ReadOnly {
		return fmt.Errorf("bolt: %w: opened read-only", store.ErrReadOnly)
	}
	if b := store.BatchFrom(ctx); b != nil && b.Add(fn) {
		return nil // committed by CommitBatch
	}
	g := &s.group
	c := &groupCall{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.active
	g.active = true
	g.mu.Unlock()
	if !lead {
		err := <-c.done
		if err != errLead {
			return s.finishGroupCall(err, fn)
		}
	}
	// Lead: commit everything queued, this call included.
	g.mu.Lock()
	calls := g.queue
	g.queue = nil
	g.mu.Unlock()
	s.commitGroup(calls)
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].done <- errLead
	} else {
		g.active = false
	}
	g.mu.Unlock()
	return s.finishGroupCall(<-c.done, fn)
}

// finishGroupCall returns a call's result, running its function alone
// when the group had to leave it out.
func (s *Store) finishGroupCall(err error, fn func(*bbolt.Tx) error) error {
	if err == errAlone {
		return s.db.Update(fn)
	}
	return err
}

// commitGroup runs calls in one transaction and sends each its result.
func (s *Store) commitGroup(calls []*groupCall) {
	for len(calls) > 0 {
		failed := -1
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for i, c := range calls {
				if err := callSafely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].done <- errAlone
			calls = append(calls[:failed:failed], calls[failed+1:]...)
			continue
		}
		for _, c := range calls {
			c.done <- err
		}
		return
	}
}

// callSafely turns a panic of fn into an error, so that a leader always
// answers its group.
func callSafely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bolt: panic in a write: %v", p)
		}
	}()
	return fn(tx)
}

// CommitBatch implements store.Batcher: the writes deferred to a batch
// (groupUpdate's functions, in order) make one function of the group
// commit, so that they share a transaction and succeed or fail together.
func (s *Store) CommitBatch(ctx context.Context, ops []any) error {
	fns := make([]func(*bbolt.Tx) error, len(ops))
	for i, op := range ops {
		fn, ok := op.(func(*bbolt.Tx) error)
		if !ok {
			return fmt.Errorf("bolt: a deferred write of type %T", op)
		}
		fns[i] = fn
	}
	return s.groupUpdate(ctx, func(tx *bbolt.Tx) error {
		for _, fn := range fns {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
}
