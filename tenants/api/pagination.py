from rest_framework.pagination import PageNumberPagination


class PageNumberWithSizePagination(PageNumberPagination):
    """``?page=N``, and ``?page_size=M`` (at most 100) for clients that want bigger or smaller pages."""

    page_size_query_param = "page_size"
    max_page_size = 100
