# deploy area: chart, plain manifests, certificate script, Dockerfile tests.
