# The origin every benchmark shares (sourced by bench/run.sh, pair.sh, tls_cost.sh,
# cache_bench.sh and soak.sh): one nginx serving fixed bodies, keep-alive on.
#
#   origin_setup DIR FD_LIMIT PORT H2_PORT TEXT_BYTES [LOCATIONS]
#
# writes DIR/www (1k and 100k of printable bytes, cached/1k, text/100k, nostore/16k) and
# DIR/origin/nginx.conf listening on 127.0.0.1:PORT (HTTP/1.1) and :H2_PORT (h2c). LOCATIONS,
# nginx directives for the server block (a script's own locations, over bodies it writes under
# DIR/www itself), come after the shared ones.
origin_setup() {
  local dir=$1 fd_limit=$2 port=$3 h2_port=$4 text_bytes=$5 locations=${6:-}
  mkdir -p "$dir/www/cached" "$dir/www/text" "$dir/www/nostore" "$dir/origin"
  # Fixed bodies: 1 KiB and 100 KiB of printable bytes.
  head -c 1024 /dev/zero | tr '\0' 'a' > "$dir/www/1k"
  head -c 102400 /dev/zero | tr '\0' 'b' > "$dir/www/100k"
  # (g): the same 1 KiB, which the origin marks cacheable for an hour.
  cp "$dir/www/1k" "$dir/www/cached/1k"
  # (h), (i): text that compresses like prose (words drawn from a fixed vocabulary with a fixed
  # seed, so every run and every machine compresses the same bytes), not like 'bbbb...'.
  python3 "$(dirname "${BASH_SOURCE[0]}")/make_text.py" "$dir/www/text/100k" "$text_bytes"
  # bench/feature_cost.sh: 16 KiB of the same kind of text, which the origin forbids caching.
  python3 "$(dirname "${BASH_SOURCE[0]}")/make_text.py" "$dir/www/nostore/16k" 16384

  # Workers run as "nobody" when nginx starts as root; they must be able to reach the files
  # (the caller makes DIR's parents reachable too).
  chmod 755 "$dir"
  find "$dir/www" -type d -exec chmod 755 {} +
  find "$dir/www" -type f -exec chmod 644 {} +

  cat > "$dir/origin/nginx.conf" <<EOF
# Origin. One worker: it shares a single core with the proxy under test, more workers would
# only add context switches. Files come from the page cache by sendfile; descriptors are cached.
worker_processes 1;
worker_rlimit_nofile $fd_limit;
pid $dir/origin/nginx.pid;
error_log $dir/origin/error.log warn;
events { worker_connections $((fd_limit - 100)); }
http {
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=1h;
    etag off;
    keepalive_timeout 120s;
    # nginx closes a keep-alive (and an HTTP/2) connection after keepalive_requests requests,
    # 1000 by default; the proxies' pooled upstream connections would be torn down and
    # re-opened all the time. Neither HAProxy nor Kestrel has such a limit.
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        listen 127.0.0.1:$h2_port http2;   # h2c with prior knowledge, for "direct" in (c)
        root $dir/www;
        location / { }
        location /cached/ { expires 1h; }                        # Cache-Control: max-age=3600
        location /text/ { types { } default_type text/plain; }   # compressible, for (h) and (i)
        # bench/feature_cost.sh: compressible, never stored by a cache (RFC 9111 §5.2.2.5), and a
        # field the proxies' header rules remove.
        location /nostore/ { types { } default_type text/plain; add_header Cache-Control no-store; add_header X-Backend-Version 1.4.2; }
        $locations
    }
}
EOF
}
