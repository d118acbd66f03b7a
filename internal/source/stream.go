package source

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"time"
)

// StreamClient is an HTTP client for streams that stay open for hours: no overall timeout, but
// bounded dialling, handshakes and waits for the response headers, so a dead network is noticed.
func StreamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
	}}
}

// ReadLine reads one '\n'-terminated line without it (and without a '\r' before it). A line
// longer than max bytes is consumed and reported as tooLong, with no content. At an error, line
// holds what came before it: a partial line the caller must drop.
func ReadLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) <= max {
			line = append(line, frag...)
		} else {
			tooLong = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return line, tooLong, err
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if tooLong {
			line = nil
		}
		return line, tooLong, nil
	}
}
