// Package server mounts the HTTP side of the process: one edge (internal/edge) with the JSON
// API's route table (internal/httpapi) and the pages' (internal/pages) on it.
package server

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
	"github.com/boothgiveaway/giveaway/internal/pages"
)

// Mount builds the server: the edge from api's settings (https, CSRF key, trusted proxies), the
// API's routes, then the pages'. The pages take the edge (https, cookies, CSRF) and the report's X
// price from api, and the pool and services from apiDeps where web leaves them unset.
func Mount(api httpapi.Config, apiDeps httpapi.Deps, web pages.Deps) (*echo.Echo, *pages.Pages, error) {
	var reg prometheus.Registerer
	if apiDeps.Registry != nil {
		reg = apiDeps.Registry
	}
	e, err := edge.NewEcho(edge.ServerConfig{Secure: api.SecureCookies, TrustedProxies: api.TrustedProxies, Registry: reg,
		AccessLog: api.AccessLog})
	if err != nil {
		return nil, nil, err
	}
	x := edge.New(edge.Config{Secure: api.SecureCookies, CSRFKey: api.CSRFKey}, apiDeps.Auth)
	httpapi.Register(e, x, api, apiDeps)
	web.Edge, web.XPricePerPost = x, api.XPricePerPost
	if web.Pool == nil {
		web.Pool = apiDeps.Pool
	}
	if web.Giveaway == nil {
		web.Giveaway = apiDeps.Giveaway
	}
	if web.Auth == nil {
		web.Auth = apiDeps.Auth
	}
	p, err := pages.Register(e, web)
	if err != nil {
		return nil, nil, err
	}
	return e, p, nil
}
