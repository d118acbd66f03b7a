package edge

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// requestMetrics counts every answer by its route, method and the status the client saw. No
// label is chosen by the client: the Host header is not one, an unknown path is "unmatched" and
// an unknown method "OTHER", so /metrics stays the same size whatever is sent.
func requestMetrics(reg prometheus.Registerer) echo.MiddlewareFunc {
	labels := []string{"code", "method", "url"}
	count := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_http_requests_total",
		Help: "HTTP answers by status, method and route."}, labels)
	took := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "giveaway_http_request_duration_seconds",
		Help: "HTTP request latencies by status, method and route.", Buckets: prometheus.DefBuckets}, labels)
	size := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "giveaway_http_response_size_bytes",
		Help:    "HTTP answer sizes by status, method and route.",
		Buckets: prometheus.ExponentialBuckets(256, 4, 8)}, labels)
	if reg != nil {
		reg.MustRegister(count, took, size)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Path() == "/metrics" {
				return next(c)
			}
			start := time.Now()
			if err := next(c); err != nil {
				// Answer the error here, so the status counted is the one the client gets (a
				// domain error is not an echo.HTTPError, and would otherwise count as a 500).
				c.Error(err)
			}
			observe(c, start, count, took, size)
			return nil
		}
	}
}

func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// observe is requestMetrics' work after the answer, apart from it to keep the frame every open
// event stream holds small (see pages' pump).
//
//go:noinline
func observe(c echo.Context, start time.Time, count *prometheus.CounterVec, took, size *prometheus.HistogramVec) {
	route := c.Path()
	if route == "" {
		route = "unmatched"
	}
	v := []string{strconv.Itoa(c.Response().Status), method(c.Request().Method), route}
	count.WithLabelValues(v...).Inc()
	took.WithLabelValues(v...).Observe(time.Since(start).Seconds())
	size.WithLabelValues(v...).Observe(float64(c.Response().Size))
}
