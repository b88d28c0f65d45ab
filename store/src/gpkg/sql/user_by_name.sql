WHERE username = ?1
