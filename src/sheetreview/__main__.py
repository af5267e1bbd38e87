from sheetreview.cli import main

main()
