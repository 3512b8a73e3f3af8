# ember: build a static binary, run it on a slim Debian base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ember ./cmd/ember

FROM debian:bookworm-slim
COPY --from=build /out/ember /usr/local/bin/ember
# The working directory is ember's `dir` (files it writes, once persistence
# exists); it belongs to the unprivileged user the server runs as.
WORKDIR /data
RUN chown 65534:65534 /data
USER 65534:65534
EXPOSE 6379
ENTRYPOINT ["ember"]
# Arguments given to `docker run` replace these (pass a config file path
# first, then --directive value pairs).
CMD ["--bind", "0.0.0.0", "--protected-mode", "yes"]
