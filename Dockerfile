# One image for every idport service; the command picks it:
#   docker run idport registry --addr :8441 --data /data
# The build command below is also run by .ci/run: keep the two in step.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/idport ./cmd/idport

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/idport /usr/local/bin/idport
USER nonroot:nonroot
VOLUME ["/data"]
ENV IDPORT_DATA=/data
EXPOSE 8441 8442 8443
ENTRYPOINT ["/usr/local/bin/idport"]
CMD ["--help"]
