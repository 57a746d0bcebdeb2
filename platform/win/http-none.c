/* platform/win/http-none.c - bgcopy__transport_http_new for Windows builds, which have no
 * libcurl/libuv (Debian packages neither for mingw-w64), so backend-curl/ is not compiled.
 *
 * The emulated engine of such a build still reaches local files (core/transport-file.c). This
 * transport claims http:// and https:// remote names and fails every request at once with
 * E_NOTIMPL, so a job that names one goes to ERROR with that code (context
 * GENERAL_TRANSPORT) instead of an unexplained scheme error. On Windows the native engine
 * (backend-win/, the default there) is the one that downloads over HTTP.
 */
#include <stdlib.h>

#include "core-int.h"

static int none_accepts(struct bgcopy__transport *tp, const char *url)
{
    int kind = 0;

    (void)tp;
    return BGCOPY_SUCCEEDED(bgcopy__validate_remote(url, &kind)) && kind == BGCOPY__URL_HTTP;
}

static bgcopy_hr none_start(struct bgcopy__transport *tp, struct bgcopy__engine *e,
                            const struct bgcopy__xfer_request *req,
                            const struct bgcopy__xfer_sink *sink, void *ctx,
                            struct bgcopy__xfer **out)
{
    (void)tp;
    (void)e;
    (void)req;
    (void)sink;
    (void)ctx;
    *out = NULL;
    return BGCOPY_E_NOTIMPL;
}

static void none_abort(struct bgcopy__transport *tp, struct bgcopy__xfer *x)
{
    (void)tp; /* start never succeeds, so there is never a request to abort */
    (void)x;
}

static void none_destroy(struct bgcopy__transport *tp)
{
    free(tp);
}

struct bgcopy__transport *bgcopy__transport_http_new(void)
{
    struct bgcopy__transport *tp = bgcopy__calloc(1, sizeof(*tp));

    if (tp == NULL) {
        return NULL;
    }
    tp->name = "http-unavailable";
    tp->protocol = "http";
    tp->accepts = none_accepts;
    tp->start = none_start;
    tp->abort = none_abort;
    tp->destroy = none_destroy;
    return tp;
}
