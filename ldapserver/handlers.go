package ldapserver

import (
	"context"
	"log/slog"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/jimlambrt/gldap"

	"github.com/canaille-go/canaille/store/ldif"
)

// The engine's handlers: searches and writes forwarded by the gateway.

func (e *engine) search(w *gldap.ResponseWriter, r *gldap.Request) {
	start := time.Now()
	se := e.session(r)
	if se == nil {
		w.Write(r.NewSearchDoneResponse(gldap.WithResponseCode(resultUnwillingToPerform)))
		return
	}
	m, err := r.GetSearchMessage()
	if err != nil {
		w.Write(r.NewSearchDoneResponse(gldap.WithResponseCode(resultProtocolError)))
		return
	}
	req := searchRequest{msgID: m.GetID(), base: m.BaseDN, scope: m.Scope, sizeLimit: m.SizeLimit,
		timeLimit: m.TimeLimit, typesOnly: m.TypesOnly, filter: m.Filter, attrs: m.Attributes, controls: m.Controls}
	// The responses go straight to the client: entries encoded in one
	// pass (gldap would build a packet tree and encode each twice), queued
	// and sent with the SearchResultDone in as few writes as possible.
	res := e.srv.dir.search(e.srv.ctx, se, req, func(ent *ldif.Entry) error {
		return se.writeEntry(req.msgID, ent)
	})
	if res.code == resultOther && se.isAbandoned(req.msgID) {
		se.abandoned.Delete(req.msgID)
		se.flush()
		return // abandoned: no response (RFC 4511 4.11)
	}
	se.abandoned.Delete(req.msgID)
	se.writeDone(req.msgID, res)
	e.srv.logOp(se, "search", req.msgID, res.code, start, slog.String("base", req.base),
		slog.Int("scope", int(req.scope)), slog.String("filter", req.filter), slog.Int("entries", res.sent))
}

func (e *engine) add(w *gldap.ResponseWriter, r *gldap.Request) {
	e.write(w, r, "add", gldap.ApplicationAddResponse, func(ctx context.Context, se *session) (int64, int, string, string) {
		m, err := r.GetAddMessage()
		if err != nil {
			return 0, resultProtocolError, "", "malformed add request"
		}
		if oid := criticalControl(m.Controls); oid != "" {
			return m.GetID(), resultUnavailableCriticalExt, "", "unsupported critical control " + oid
		}
		code, matched, diag := e.srv.dir.add(ctx, se.identity(ctx), m.DN, m.Attributes)
		return m.GetID(), code, matched, diag
	})
}

func (e *engine) modify(w *gldap.ResponseWriter, r *gldap.Request) {
	e.write(w, r, "modify", gldap.ApplicationModifyResponse, func(ctx context.Context, se *session) (int64, int, string, string) {
		m, err := r.GetModifyMessage()
		if err != nil {
			return 0, resultProtocolError, "", "malformed modify request"
		}
		if oid := criticalControl(m.Controls); oid != "" {
			return m.GetID(), resultUnavailableCriticalExt, "", "unsupported critical control " + oid
		}
		changes, err := decodeChanges(m.Changes)
		if err != nil {
			return m.GetID(), resultProtocolError, "", err.Error()
		}
		code, matched, diag := e.srv.dir.modify(ctx, se.identity(ctx), m.DN, changes)
		return m.GetID(), code, matched, diag
	})
}

func (e *engine) delete(w *gldap.ResponseWriter, r *gldap.Request) {
	e.write(w, r, "delete", gldap.ApplicationDelResponse, func(ctx context.Context, se *session) (int64, int, string, string) {
		m, err := r.GetDeleteMessage()
		if err != nil {
			return 0, resultProtocolError, "", "malformed delete request"
		}
		if oid := criticalControl(m.Controls); oid != "" {
			return m.GetID(), resultUnavailableCriticalExt, "", "unsupported critical control " + oid
		}
		code, matched, diag := e.srv.dir.remove(ctx, se.identity(ctx), m.DN)
		return m.GetID(), code, matched, diag
	})
}

// write runs a write operation and sends its response.
func (e *engine) write(w *gldap.ResponseWriter, r *gldap.Request, name string, app int, fn func(context.Context, *session) (int64, int, string, string)) {
	start := time.Now()
	resp := r.NewResponse(gldap.WithApplicationCode(app))
	se := e.session(r)
	if se == nil {
		resp.SetResultCode(resultUnwillingToPerform)
		w.Write(resp)
		return
	}
	// Writes finish even when the client goes away mid-way.
	id, code, matched, diag := fn(context.WithoutCancel(e.srv.ctx), se)
	resp.SetResultCode(code)
	resp.SetMatchedDN(matched)
	resp.SetDiagnosticMessage(diag)
	w.Write(resp)
	e.srv.logOp(se, name, id, code, start)
}

// change is one modification, with its values decoded.
type change struct {
	op     int // 0 add, 1 delete, 2 replace, 3 increment
	attr   string
	values [][]byte
}

// decodeChanges splits gldap's modification values: gldap hands the raw
// BER of each value SET as one string (LIBRARIES.md G1).
func decodeChanges(mods []gldap.Change) ([]change, error) {
	out := make([]change, 0, len(mods))
	for _, m := range mods {
		c := change{op: int(m.Operation), attr: m.Modification.Type}
		for _, raw := range m.Modification.Vals {
			data := []byte(raw)
			for len(data) > 0 {
				p, err := ber.DecodePacketErr(data)
				if err != nil {
					return nil, err
				}
				c.values = append(c.values, octets(p))
				n := len(p.Bytes())
				if n == 0 || n > len(data) {
					break
				}
				data = data[n:]
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// criticalControl returns the OID of a critical control gldap decoded but
// the server does not implement on writes, or "".
func criticalControl(controls []gldap.Control) string {
	for _, c := range controls {
		if cs, ok := c.(*gldap.ControlString); ok && cs.Criticality && cs.ControlType != controlManageDsaIT {
			return cs.ControlType
		}
	}
	return ""
}
