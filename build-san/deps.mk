PKG_CFLAGS := 
PKG_LIBS := -lsodium -llmdb -luv -lpthread -ldl -lrt -lprotobuf-c -linih -ljansson 
CMOCKA_LIBS := -lcmocka 
