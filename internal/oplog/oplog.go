// Package oplog writes the one-line-per-operation logs of the servers
// (an LDAP operation, an HTTP request) at the cost of formatting them
// only.
package oplog

import (
	"context"
	"log/slog"
	"time"
)

// Info logs msg with attrs at level Info, as Logger.LogAttrs does but
// without looking up the caller's program counter, which Logger does at
// every call for a source these lines never print.
func Info(ctx context.Context, l *slog.Logger, msg string, attrs ...slog.Attr) {
	if !l.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	_ = l.Handler().Handle(ctx, r)
}
