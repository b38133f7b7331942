package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// leanHTTP is one worker's own HTTP/1.1 client for the workloads' plain
// requests (token requests, userinfo, discovery, JWKS: no cookies, no
// redirects): one keep-alive connection, written and read in the worker's
// goroutine. net/http's transport hands every request to a writing and a
// reading goroutine of the connection and back, which costs about as much
// CPU per request as the servers spend answering the cheapest ones; on a
// machine where the tool shares the cores with the server, that CPU is
// taken from the server measured. The flows (cookies, redirects, pages)
// keep net/http.
type leanHTTP struct {
	timeout time.Duration
	host    string // host:port of conn
	conn    net.Conn
	r       *bufio.Reader
	wbuf    []byte
}

// errNotLean: the request is not one leanHTTP sends (https, or another
// URL form); the caller uses net/http.
var errNotLean = errors.New("not a plain http request")

// maxLeanBody bounds a response body.
const maxLeanBody = 16 << 20

// do sends req and reads the whole response body into buf. The response
// has StatusCode, Status, Header and Request.
func (l *leanHTTP) do(req *http.Request, buf *bytes.Buffer) (*http.Response, []byte, error) {
	if req.URL.Scheme != "http" || req.URL.Host == "" {
		return nil, nil, errNotLean
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, nil, err
		}
		req.Body.Close()
	}
	host := req.URL.Host
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "80")
	}
	l.wbuf = appendRequest(l.wbuf[:0], req, body)
	reused := l.conn != nil && l.host == host
	resp, data, err := l.roundTrip(req, host, buf)
	if err != nil && reused && req.Method == http.MethodGet && errors.Is(err, errNoResponse) {
		// The server closed the idle connection: once more on a new one,
		// as net/http does for idempotent requests.
		resp, data, err = l.roundTrip(req, host, buf)
	}
	return resp, data, err
}

// errNoResponse: the connection ended before any byte of a response.
var errNoResponse = errors.New("connection closed before a response")

// closedByPeer reports an error of a connection the server had closed:
// a request written to it may be answered by a reset rather than an end
// of file, depending on which the kernel sees first.
func closedByPeer(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (l *leanHTTP) roundTrip(req *http.Request, host string, buf *bytes.Buffer) (*http.Response, []byte, error) {
	if l.conn == nil || l.host != host {
		l.close()
		c, err := net.DialTimeout("tcp", host, dialTimeout)
		if err != nil {
			return nil, nil, err
		}
		l.conn, l.host = c, host
		if l.r == nil {
			l.r = bufio.NewReaderSize(c, 64<<10)
		} else {
			l.r.Reset(c)
		}
	}
	if l.timeout > 0 {
		l.conn.SetDeadline(time.Now().Add(l.timeout))
	}
	if _, err := l.conn.Write(l.wbuf); err != nil {
		l.close()
		if closedByPeer(err) {
			err = fmt.Errorf("%w (%v)", errNoResponse, err)
		}
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	resp, data, keep, err := readResponse(l.r, req, buf)
	if err != nil || !keep {
		l.close()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return resp, data, nil
}

func (l *leanHTTP) close() {
	if l.conn != nil {
		l.conn.Close()
		l.conn, l.host = nil, ""
	}
}

// appendRequest appends the HTTP/1.1 form of req with body.
func appendRequest(b []byte, req *http.Request, body []byte) []byte {
	b = append(b, req.Method...)
	b = append(b, ' ')
	b = append(b, req.URL.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	if req.Host != "" {
		b = append(b, req.Host...)
	} else {
		b = append(b, req.URL.Host...)
	}
	b = append(b, "\r\n"...)
	for k, vs := range req.Header {
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if body != nil || req.Method == http.MethodPost {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// readResponse reads one response to req from r: status line, headers,
// and the body (by Content-Length, chunked, or up to the end of the
// connection) into buf. keep reports whether the connection can carry
// the next request.
func readResponse(r *bufio.Reader, req *http.Request, buf *bytes.Buffer) (resp *http.Response, body []byte, keep bool, err error) {
	for {
		line, err := readLine(r)
		if err != nil {
			if len(line) == 0 && resp == nil && (errors.Is(err, io.EOF) || closedByPeer(err)) {
				return nil, nil, false, errNoResponse
			}
			return nil, nil, false, err
		}
		proto, status, ok := strings.Cut(string(line), " ")
		if !ok || !strings.HasPrefix(proto, "HTTP/1.") || len(status) < 3 {
			return nil, nil, false, fmt.Errorf("malformed status line %q", shorten(string(line), 60))
		}
		code, err := strconv.Atoi(status[:3])
		if err != nil || code < 100 || code > 999 {
			return nil, nil, false, fmt.Errorf("malformed status line %q", shorten(string(line), 60))
		}
		resp = &http.Response{StatusCode: code, Status: status, Proto: proto, Header: http.Header{}, Request: req}
		keep = proto == "HTTP/1.1"
		length, chunked := int64(-1), false
		for {
			h, err := readLine(r)
			if err != nil {
				return nil, nil, false, err
			}
			if len(h) == 0 {
				break
			}
			k, v, ok := strings.Cut(string(h), ":")
			if !ok {
				return nil, nil, false, fmt.Errorf("malformed header line %q", shorten(string(h), 60))
			}
			k, v = http.CanonicalHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v)
			resp.Header.Add(k, v)
			switch k {
			case "Content-Length":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 || n > maxLeanBody {
					return nil, nil, false, fmt.Errorf("bad Content-Length %q", v)
				}
				length = n
			case "Transfer-Encoding":
				chunked = strings.EqualFold(v, "chunked")
			case "Connection":
				if strings.EqualFold(v, "close") {
					keep = false
				} else if strings.EqualFold(v, "keep-alive") {
					keep = true
				}
			}
		}
		if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
			continue // an interim response: the final one follows
		}
		buf.Reset()
		switch {
		case req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified:
		case chunked:
			err = readChunked(r, buf)
		case length >= 0:
			_, err = io.CopyN(buf, r, length)
		default:
			// No length: the body ends with the connection.
			_, err = buf.ReadFrom(io.LimitReader(r, maxLeanBody))
			keep = false
		}
		if err != nil {
			return nil, nil, false, fmt.Errorf("reading the response: %w", err)
		}
		return resp, buf.Bytes(), keep, nil
	}
}

// readChunked reads a chunked body (RFC 9112 section 7.1) and its
// trailer section.
func readChunked(r *bufio.Reader, buf *bytes.Buffer) error {
	for {
		line, err := readLine(r)
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(string(line), ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 || int64(buf.Len())+n > maxLeanBody {
			return fmt.Errorf("bad chunk size %q", shorten(string(line), 40))
		}
		if n == 0 {
			for {
				t, err := readLine(r)
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(buf, r, n); err != nil {
			return err
		}
		if crlf, err := readLine(r); err != nil || len(crlf) != 0 {
			return errors.New("chunk not followed by CRLF")
		}
	}
}

// readLine reads a line without its CRLF (or LF); lines longer than the
// reader's buffer are an error.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("header line too long")
		}
		return line, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}
