module foreman.test/goclient

go 1.19
