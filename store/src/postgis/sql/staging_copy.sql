COPY incidents_staging FROM STDIN (FORMAT binary)
