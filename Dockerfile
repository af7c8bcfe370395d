# One image for every idport service; the command picks it:
#   docker run idport registry --addr :8441 --data /data
# The build command below is the one .ci/run runs (it checks that the two lines are equal).
# Stamp a release: docker build --build-arg VERSION=v0.2.0 --build-arg COMMIT=$(git rev-parse HEAD) .
# (.git stays out of the build context, so the commit comes from the argument.)
FROM golang:1.26 AS build
ARG VERSION=dev
ARG COMMIT=unknown
ENV OUT=/out
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/idport/idport/pkg/buildinfo.version=${VERSION} -X github.com/idport/idport/pkg/buildinfo.commit=${COMMIT}" -o "${OUT}/idport" ./cmd/idport

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/idport /usr/local/bin/idport
USER nonroot:nonroot
VOLUME ["/data"]
ENV IDPORT_DATA=/data
EXPOSE 8441 8442 8443
ENTRYPOINT ["/usr/local/bin/idport"]
CMD ["--help"]
