# HAProxy as the benchmarks run it (sourced by bench/run.sh and bench/pair.sh): forwarding to the
# origin over pooled keep-alive connections, X-Forwarded-For added, nothing logged.
#
#   haproxy_config H1_PORT H2_PORT ORIGIN_PORT MAXCONN FD_LIMIT > haproxy.cfg
#
# listens on 127.0.0.1:H1_PORT (HTTP/1.1) and :H2_PORT (h2c with prior knowledge).
haproxy_config() {
  local h1_port=$1 h2_port=$2 origin_port=$3 maxconn=$4 fd_limit=$5
  cat <<CFG
global
    # Enough for the idle clients of (f) plus headroom. HAProxy sizes its open-files need as
    # 2 x maxconn (a server connection per client) and by default refuses to start when it
    # cannot raise the limit that far; with pooled server connections an idle client holds
    # one descriptor, so within a lower limit we let it start with a warning instead.
    maxconn $maxconn
$([ "$fd_limit" -lt $((2 * maxconn + 100)) ] && echo "    no strict-limits")
    # no "log" line: nothing is logged
$(haproxy_defaults)
    maxconn $maxconn
frontend fe_http
    bind 127.0.0.1:$h1_port
    default_backend origin
frontend fe_h2c
    bind 127.0.0.1:$h2_port proto h2
    default_backend origin
backend origin
    # (h): HAProxy's built-in gzip (libslz: fast, a fixed low level); only text/plain, so the
    # octet-stream bodies of the other scenarios are untouched.
    compression algo gzip
    compression type text/plain
    server origin 127.0.0.1:$origin_port
CFG
}

# The defaults section of every benchmark's HAProxy (bench/tls_cost.sh too): timeouts,
# X-Forwarded-For, pooled server connections.
haproxy_defaults() {
  cat <<CFG
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 120s
    option forwardfor
    http-reuse always
CFG
}
