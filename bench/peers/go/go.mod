module gmwbench/peer

go 1.19
