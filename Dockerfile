# ember: a static binary in an image that holds nothing else (no shell, no
# libc), run as an unprivileged user. Build: docker build -t ember .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ember ./cmd/ember \
 && mkdir /out/data

FROM scratch
COPY --from=build /out/ember /ember
# /data is ember's dir (the files it writes, once persistence is on); mount
# a volume there. It belongs to the user the server runs as.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
# 6379: the Redis protocol; 9121: the admin port (/metrics, /healthz,
# /debug/pprof/).
EXPOSE 6379 9121
# The binary checks itself: PING on the Redis port. A container started on
# another port needs --health-cmd '/ember --ping <port>'.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/ember", "--ping", "127.0.0.1:6379"]
ENTRYPOINT ["/ember"]
# Arguments given to `docker run` replace these: a mounted config file
# first (/etc/ember/ember.conf), then --directive value pairs. Protected
# mode refuses clients from other hosts until a password is set.
CMD ["--bind", "0.0.0.0", "--protected-mode", "yes", "--dir", "/data"]
