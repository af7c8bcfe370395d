package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/authlimit"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/console"
)

// statusOf returns the HTTP status of err from the registry's one table (what statuses.Write
// would answer): the console renders its pages with it.
func statusOf(err error) int {
	var coded httpx.Coded
	if errors.As(err, &coded) {
		st, _ := coded.ProblemCode()
		return st
	}
	if e := errs.As(err); e != nil {
		if st, ok := statuses.Statuses[e.Code]; ok {
			return st
		}
	}
	return http.StatusInternalServerError
}

// mountConsole serves the regulators' web console under /console.
// Failed sign-ins count against the same budget as the admin API's (failures), so guessing
// through the console is no cheaper than through the API.
func mountConsole(e *gin.Engine, svc *trustregistry.Service, cfg console.Config, failures *authlimit.Limiter, logger *slog.Logger) error {
	cfg.Service, cfg.Status, cfg.Failures = svc, statusOf, failures
	if cfg.Logger == nil {
		cfg.Logger = logger
	}
	con, err := console.New(cfg)
	if err != nil {
		return err
	}
	h := gin.WrapH(con)
	e.Any(console.Prefix, func(c *gin.Context) { c.Redirect(http.StatusSeeOther, console.Prefix+"/") })
	e.Any(console.Prefix+"/*path", h)
	return nil
}
