# nginx as a reverse proxy, as the benchmarks run it (sourced by bench/run.sh and bench/pair.sh):
# forwarding to the origin over pooled keep-alive connections, X-Forwarded-For added, nothing
# logged; (g)'s cache on /cached/, (h)'s gzip on /text/.
#
#   nginx_proxy_config DIR H1_PORT H2_PORT ORIGIN_PORT FD_LIMIT > DIR/nginx.conf
#
# listens on 127.0.0.1:H1_PORT (HTTP/1.1) and :H2_PORT (h2c with prior knowledge); pid file,
# error log and cache under DIR. `worker_processes auto` counts the machine's CPUs, not the ones
# taskset allows: on the 2-core machine, 2 workers sharing the server core.
nginx_proxy_config() {
  local dir=$1 h1_port=$2 h2_port=$3 origin_port=$4 fd_limit=$5
  cat <<EOF
worker_processes auto;
worker_rlimit_nofile $fd_limit;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
# Room for 10,000 idle clients plus the upstream connections, within the open-files limit.
events { worker_connections $((fd_limit - 100)); }
http {
    access_log off;
    keepalive_timeout 120s;
    keepalive_requests 1000000;   # see the origin's config: nginx's 1000 would recycle client connections
    # (g): nginx's own cache, files under the run directory (the page cache keeps them in memory).
    proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=1h use_temp_path=off;
    upstream origin {
        server 127.0.0.1:$origin_port;
        keepalive 64;                  # idle upstream connections kept per worker
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:$h1_port;
        listen 127.0.0.1:$h2_port http2;   # nginx 1.22: plain-text http2 = h2c prior knowledge
$(nginx_forward_location | sed 's/^/        /')
        location /cached/ {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_cache bench;
            proxy_cache_lock on;        # request collapsing, as Portico and Varnish do
        }
        location /text/ {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # (h): level 6 matches Portico's gzip at its default "optimal".
            gzip on;
            gzip_comp_level 6;
            gzip_proxied any;
            gzip_types text/plain;
            gzip_min_length 1024;
            gzip_vary on;
        }
    }
}
EOF
}

# The location that forwards every path to the upstream "origin" over a pooled keep-alive
# connection with X-Forwarded-For, as each benchmark's nginx proxy does (bench/tls_cost.sh
# includes it in its TLS servers).
nginx_forward_location() {
  cat <<'EOF'
location / {
    proxy_pass http://origin;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
}
EOF
}
