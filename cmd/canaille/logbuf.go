package main

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// logBuffer batches the server's log lines and writes them every
// logFlushInterval (or when 64 KiB are waiting), so that logging one line
// per LDAP operation costs a memory copy instead of a system call under
// the handler's lock. A crash loses at most the lines of the last
// interval; a normal shutdown flushes everything.
type logBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	w    io.Writer
	stop chan struct{}
	done chan struct{}
}

const (
	logFlushInterval = 100 * time.Millisecond
	logFlushSize     = 64 << 10
)

func newLogBuffer(w io.Writer) *logBuffer {
	l := &logBuffer{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(logFlushInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.Flush()
			case <-l.stop:
				l.Flush()
				return
			}
		}
	}()
	return l
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, _ := l.buf.Write(p)
	if l.buf.Len() >= logFlushSize {
		l.flushLocked()
	}
	return n, nil
}

// Flush writes what is waiting.
func (l *logBuffer) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *logBuffer) flushLocked() {
	if l.buf.Len() > 0 {
		l.w.Write(l.buf.Bytes())
		l.buf.Reset()
	}
}

// Close stops the flusher after a last flush.
func (l *logBuffer) Close() error {
	close(l.stop)
	<-l.done
	return nil
}
