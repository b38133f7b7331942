package oplog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{AddSource: true})).With("component", "ldap")
	Info(context.Background(), l, "LDAP search", slog.Int("result", 0), slog.String("bind_dn", "uid=a"))
	line := buf.String()
	for _, want := range []string{"level=INFO", `msg="LDAP search"`, "component=ldap", "result=0", `bind_dn="uid=a"`} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
	buf.Reset()
	quiet := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	Info(context.Background(), quiet, "dropped")
	if buf.Len() != 0 {
		t.Errorf("a level above Info still logged %q", buf.String())
	}
}
